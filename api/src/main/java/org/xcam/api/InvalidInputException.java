package org.xcam.api;

/** The caller's input is wrong: a missing or corrupt file, a bad shape, NaN in a tensor, a bad option value. */
public class InvalidInputException extends XcamException {
  public InvalidInputException(String message) { super(message); }
  public InvalidInputException(String message, Throwable cause) { super(message, cause); }
  @Override public boolean isUserError() { return true; }
}
