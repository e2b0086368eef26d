package org.xcam.plugins.iba;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xcam.api.InvalidInputException;
import org.xcam.api.Options;
import org.xcam.api.spi.ExplainerProvider;

@DisplayName("The IBA providers")
class ProvidersTest {
  @Test
  @DisplayName("are found by ServiceLoader under their names, with the paper's defaults")
  void discovery() {
    List<String> names = ServiceLoader.load(ExplainerProvider.class).stream().map(p -> p.get().name()).toList();
    assertThat(names).contains("iba", "inverse-iba", "regression-iba", "multilayer-iba");
    IbaExplainer iba = (IbaExplainer) new IbaProvider().create(Options.defaults("iba", new IbaProvider().options()));
    assertThat(iba.config()).isEqualTo(new Bottleneck.Config(10, 10, 1, 10, 5, 1, 5, 0.01f, false));
    IbaExplainer inv = (IbaExplainer) new InverseIbaProvider().create(Options.defaults("inverse-iba", new InverseIbaProvider().options()));
    assertThat(inv.config().beta()).isEqualTo(30);
    assertThat(inv.config().inverse()).isTrue();
  }

  @Test
  @DisplayName("reject bad options with one-line messages")
  void badOptions() {
    RegressionIbaProvider r = new RegressionIbaProvider();
    assertThatThrownBy(() -> r.create(Options.of("regression-iba", r.options(), Map.of("loss", "mse"))))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("target-value");
    assertThatThrownBy(() -> r.create(Options.of("regression-iba", r.options(), Map.of("loss", "mae"))))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("mse, rm or dv");
    IbaProvider p = new IbaProvider();
    assertThatThrownBy(() -> p.create(Options.of("iba", p.options(), Map.of("kernel", "4"))))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("odd");
    assertThatThrownBy(() -> p.create(Options.of("iba", p.options(), Map.of("min-std", "0"))))
        .isInstanceOf(InvalidInputException.class).hasMessageContaining("min-std");
  }
}
