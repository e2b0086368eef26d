package org.xcam.api;

/**
 * Root of every error xcam raises. Unchecked; no xcam method returns {@code null} instead of throwing.
 *
 * <p>Messages are one line that says what is wrong and what to do about it, e.g.
 * {@code unknown layer 'layer5'; the model has: layer1, layer2, layer3, layer4}. The CLI prints the message
 * and exits with code 2 for {@link InvalidInputException} and its siblings that describe user input.
 */
public class XcamException extends RuntimeException {
  public XcamException(String message) { super(message); }
  public XcamException(String message, Throwable cause) { super(message, cause); }

  /** True when the error is the caller's input (exit code 2 in the CLI), false for an internal/engine failure. */
  public boolean isUserError() { return false; }
}
