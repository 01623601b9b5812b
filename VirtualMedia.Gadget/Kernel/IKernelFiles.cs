namespace VirtualMedia.Gadget.Kernel;

/// <summary>
/// The writes made to configfs and sysfs: the one seam between the real kernel and the sandbox,
/// whose plain directories must be taught what configfs does by itself (attributes appear on mkdir,
/// a UDC held by another gadget is EBUSY).
/// </summary>
public interface IKernelFiles
{
    /// <summary>mkdir; in configfs the kernel fills the new directory with its attributes.</summary>
    void CreateDirectory(string path);

    /// <summary>rmdir; in configfs the attributes go with the directory, user-made children must go first.</summary>
    void RemoveDirectory(string path);

    /// <summary>Writes one value to an existing attribute in a single write (the kernel's answer is the write's).</summary>
    void WriteAttribute(string path, string value);

    /// <summary>Creates a symbolic link (a configfs function linked into a configuration).</summary>
    void CreateLink(string link, string target);

    /// <summary>Removes a symbolic link.</summary>
    void RemoveLink(string link);
}
