package org.xcam.api;

import java.util.Set;

/**
 * A method needs a capability the model's engine does not offer (e.g. gradients), or an engine met an operator it
 * cannot differentiate. Raised before any work starts whenever the mismatch can be known up front.
 */
public class UnsupportedCapabilityException extends XcamException {
  private final Set<Capability> missing;

  public UnsupportedCapabilityException(String message, Set<Capability> missing) {
    super(message);
    this.missing = Set.copyOf(missing);
  }

  public UnsupportedCapabilityException(String message) { this(message, Set.of()); }

  public Set<Capability> missing() { return missing; }
  @Override public boolean isUserError() { return true; }
}
