namespace VirtualMedia.Gadget.ConfigFs;

/// <summary>A gadget bound to a UDC: the host sees the media until it is removed.</summary>
/// <param name="Spec">What was asked for.</param>
/// <param name="Directory">The gadget's configfs directory.</param>
/// <param name="Udc">The USB device controller (or vhub port) it is bound to.</param>
public sealed record MassStorageGadget(GadgetSpec Spec, string Directory, string Udc);
