"""The tiny transformers of the demo and the rollout tests: a ViT and a Swin for 1 x 64 x 64 phantoms.

TinyViT: a "hybrid" ViT (Dosovitskiy et al. 2021, ViT-R50 style): the patch embedding reads a convolutional feature
map, here the first layers of the trained phantom-cxr CNN (frozen: tools/phantom/train.py's features.0-10, 48 x 16 x
16) and a 2 x 2 stride-2 convolution to the 8 x 8 token grid. From scratch, a plain 8 x 8 patch embedding stalled near
55% held-out accuracy after 4 epochs and a small conv stem near 67% (the budget here is minutes on 2 shared cores).
Then pre-LayerNorm blocks (x + attn(norm1(x)), then x + mlp(norm2(x))), one CLS token, learned position
embedding, 8 x 8 patches of 8 pixels in row-major order (token 1 + 8r + c is the patch at row r, column c),
final norm, linear head on the CLS token. The attention probabilities of block k are the output of
``attn.softmax(dim=-1)`` inside ``blocks.k.attn``: [N, heads, T, T] with T = 1 + 64.
Same structure as ../shared/reference/tiny-vit/tiny_vit.py (smaller width).

TinySwin: torchvision's SwinTransformer (v1 blocks, shifted windows) whose patch embedding reads the same frozen CNN
features as the ViT (48 x 16 x 16) through a 1 x 1 convolution (from scratch: 36% after 4 epochs; from the 32 x 16 x 16
features.0-7: 66% after 4).
"""
import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
CNN = os.path.join(HERE, "..", "..", "runtime", "src", "main", "resources", "org", "xcam", "fixtures", "phantom-cxr", "model.pt")


def cnn_features(upto):
    """The trained phantom-cxr CNN's ``features[:upto]`` (weights from its bundle's model.pt), frozen, eval mode."""
    sys.path.insert(0, os.path.join(HERE, "..", "phantom"))
    from train import build_model   # tools/phantom/train.py
    cnn = build_model()
    cnn.load_state_dict(torch.jit.load(CNN).state_dict())
    f = cnn.features[:upto].eval()
    for p in f.parameters():
        p.requires_grad_(False)
    return f


class FrozenStem(nn.Module):
    """A frozen feature extractor that stays in eval mode (BatchNorm statistics fixed) whatever train() says."""

    def __init__(self, features):
        super().__init__()
        self.features = features

    def train(self, mode=True):
        super().train(False)
        return self

    def forward(self, x):
        return self.features(x)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        n, t, d = x.shape
        qkv = self.qkv(x).reshape(n, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(n, t, d)
        return self.proj(x)


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        x = x + self.mlp(self.norm2(x))
        return x


class TinyViT(nn.Module):
    def __init__(self, img_size=64, patch_size=8, in_chans=1, num_classes=6, dim=32, depth=4, heads=4, mlp_ratio=2.0,
                 conv_stem=True):
        super().__init__()
        self.grid = img_size // patch_size
        if conv_stem:   # hybrid: frozen CNN features (48 x 16 x 16), then 2 x 2 patches of them
            assert patch_size == 8 and in_chans == 1
            self.patch_embed = nn.Sequential(FrozenStem(cnn_features(11)), nn.Conv2d(48, dim, 2, stride=2))
        else:
            self.patch_embed = nn.Conv2d(in_chans, dim, kernel_size=patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.grid * self.grid, dim))
        self.blocks = nn.ModuleList([Block(dim, heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        return self.head(x[:, 0])


def tiny_vit(num_classes=6):
    return TinyViT(num_classes=num_classes)


def tiny_swin(num_classes=6):
    from torchvision.models.swin_transformer import SwinTransformer
    m = SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4],
                        num_classes=num_classes)
    m.features[0][0] = nn.Sequential(FrozenStem(cnn_features(11)), nn.Conv2d(48, 16, 1))   # 48 x 16 x 16 -> 16 channels
    return m
