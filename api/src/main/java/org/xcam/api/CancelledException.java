package org.xcam.api;

/** A long run stopped because it was cancelled or because it ran out of its pass budget ({@code max-passes}). */
public class CancelledException extends XcamException {
  public CancelledException(String message) { super(message); }
  @Override public boolean isUserError() { return true; }
}
