package org.xcam.api;

/** A model file or bundle cannot be loaded: missing files, a manifest that disagrees with them, a truncated file. */
public class ModelLoadException extends InvalidInputException {
  public ModelLoadException(String message) { super(message); }
  public ModelLoadException(String message, Throwable cause) { super(message, cause); }
}
