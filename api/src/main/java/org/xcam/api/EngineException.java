package org.xcam.api;

/** The engine (native library) failed while running a model. Carries the native cause. */
public class EngineException extends XcamException {
  public EngineException(String message, Throwable cause) { super(message, cause); }
  public EngineException(String message) { super(message); }
}
