using Microsoft.Extensions.Logging;
using VirtualMedia.Gadget.Kernel;
using VirtualMedia.Gadget.Udc;
using VirtualMedia.Nbd;

namespace VirtualMedia.Gadget.ConfigFs;

/// <summary>
/// Builds, binds and removes the configfs mass-storage gadget of each slot (CONTRACT.md §3), in the
/// kernel's order: LUN flags before <c>file</c>, the UDC last; removal in reverse, idempotent.
/// </summary>
public sealed class GadgetComposer
{
    /// <summary>Every gadget of ours is named <c>mass-storage-&lt;Slot&gt;</c>.</summary>
    public const string NamePrefix = "mass-storage-";

    private const string Function = "functions/mass_storage.usb0";
    private const string Lun = Function + "/lun.0";
    private const string Config = "configs/c.1";
    private const string ConfigLink = Config + "/mass_storage.usb0";

    private readonly KernelSide _kernel;
    private readonly UdcPicker _udcs;
    private readonly ILogger _logger;
    private readonly Lock _bindLock = new();

    /// <summary>Creates a composer for the given kernel side.</summary>
    public GadgetComposer(KernelSide kernel, ILogger logger)
    {
        _kernel = kernel;
        _udcs = new UdcPicker(kernel.Paths);
        _logger = logger;
    }

    /// <summary>The configfs directory of a slot's gadget.</summary>
    public string DirectoryOf(string slot) => Path.Combine(_kernel.Paths.GadgetRoot, NamePrefix + slot);

    /// <summary>Creates the slot's gadget and binds it to a free UDC; on failure nothing of it is left.</summary>
    /// <exception cref="KernelException">configfs refused a step, or no UDC is free (EBUSY).</exception>
    public MassStorageGadget Create(GadgetSpec spec)
    {
        var dir = DirectoryOf(spec.Slot);
        if (Directory.Exists(dir))
        {
            _logger.LogWarning("{Slot}: removing a leftover gadget before creating it again", spec.Slot);
            Remove(spec.Slot);
        }

        try
        {
            Compose(dir, spec);
            var udc = Bind(dir);
            _logger.LogInformation(
                "{Slot}: gadget bound to {Udc} ({Media}, {Access}, {File})",
                spec.Slot, udc, spec.Media, spec.ReadOnly ? "read-only" : "read-write", spec.BackingFile);
            return new MassStorageGadget(spec, dir, udc);
        }
        catch (KernelException e)
        {
            _logger.LogError("{Slot}: cannot set up the USB gadget: {Error}", spec.Slot, e.Message);
            TryRemove(spec.Slot);
            throw;
        }
    }

    /// <summary>Unbinds and removes the slot's gadget; does nothing for parts already gone.</summary>
    public void Remove(string slot)
    {
        var dir = DirectoryOf(slot);
        if (!Directory.Exists(dir))
        {
            return;
        }

        var files = _kernel.Files;
        List<KernelException> failures = [];
        void Step(Action action)
        {
            try
            {
                action();
            }
            catch (KernelException e)
            {
                failures.Add(e);
            }
        }

        Step(() =>
        {
            // Another slot's pick must see this UDC either bound or free, never half-way through the unbind.
            lock (_bindLock)
            {
                ClearIfSet(Path.Combine(dir, "UDC"));
            }
        });
        Step(() => ClearIfSet(Path.Combine(dir, Lun, "file")));
        var link = Path.Combine(dir, ConfigLink);
        if (File.Exists(link) || Directory.Exists(link))
        {
            Step(() => files.RemoveLink(link));
        }

        foreach (var child in new[] { Config + "/strings/0x409", Config, Function, "strings/0x409", "" })
        {
            var path = Path.Combine(dir, child);
            if (Directory.Exists(path))
            {
                Step(() => files.RemoveDirectory(path.TrimEnd('/')));
            }
        }

        if (failures.Count > 0)
        {
            throw failures[0];
        }

        _logger.LogInformation("{Slot}: gadget removed", slot);
    }

    /// <summary>Refuses a new gadget before anything is built when no USB device controller is free.</summary>
    /// <exception cref="KernelException">EBUSY when every UDC is taken, ENODEV when there is none.</exception>
    public void EnsureFreeUdc() => _udcs.Pick();

    /// <summary>Removes every gadget of ours (left by a killed process); returns the slots cleaned.</summary>
    public IReadOnlyList<string> RemoveStale()
    {
        if (!Directory.Exists(_kernel.Paths.GadgetRoot))
        {
            return [];
        }

        var slots = Directory.EnumerateDirectories(_kernel.Paths.GadgetRoot, NamePrefix + "*")
            .Select(path => Path.GetFileName(path)[NamePrefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToList();
        // The caller reports the slots returned, in its own words: one warning per stale gadget.
        foreach (var slot in slots)
        {
            Remove(slot);
        }

        return slots;
    }

    private void Compose(string dir, GadgetSpec spec)
    {
        var files = _kernel.Files;
        files.CreateDirectory(dir);
        files.WriteAttribute(Path.Combine(dir, "idVendor"), "0x1d6b");
        files.WriteAttribute(Path.Combine(dir, "idProduct"), "0x0104");
        files.CreateDirectory(Path.Combine(dir, "strings/0x409"));
        files.WriteAttribute(Path.Combine(dir, "strings/0x409/manufacturer"), "OpenBMC");
        files.WriteAttribute(Path.Combine(dir, "strings/0x409/product"), "Virtual Media Device");
        files.CreateDirectory(Path.Combine(dir, Config));
        files.CreateDirectory(Path.Combine(dir, Config, "strings/0x409"));
        files.WriteAttribute(Path.Combine(dir, Config, "strings/0x409/configuration"), "config 1");
        files.CreateDirectory(Path.Combine(dir, Function));

        // The kernel refuses to change ro and cdrom while a file is set: flags first.
        var lun = Path.Combine(dir, Lun);
        files.WriteAttribute(Path.Combine(lun, "removable"), "1");
        files.WriteAttribute(Path.Combine(lun, "cdrom"), spec.Media == MediaType.Cd ? "1" : "0");
        files.WriteAttribute(Path.Combine(lun, "ro"), spec.ReadOnly ? "1" : "0");
        files.WriteAttribute(Path.Combine(lun, "file"), spec.BackingFile);
        files.CreateLink(Path.Combine(dir, ConfigLink), Path.Combine(dir, Function));
    }

    private string Bind(string dir)
    {
        lock (_bindLock)
        {
            // Another process may take the UDC between our look and our write: then try the next.
            List<string> refused = [];
            while (true)
            {
                var udc = _udcs.Pick(refused);
                try
                {
                    _kernel.Files.WriteAttribute(Path.Combine(dir, "UDC"), udc);
                    return udc;
                }
                catch (KernelException e) when (e.Errno == Errno.EBUSY)
                {
                    _logger.LogWarning("UDC {Udc} was taken meanwhile; trying another", udc);
                    refused.Add(udc);
                }
            }
        }
    }

    private void ClearIfSet(string attribute)
    {
        if (File.Exists(attribute) && File.ReadAllText(attribute).Trim().Length > 0)
        {
            _kernel.Files.WriteAttribute(attribute, "");
        }
    }

    private void TryRemove(string slot)
    {
        try
        {
            Remove(slot);
        }
        catch (KernelException e)
        {
            _logger.LogError("{Slot}: cleaning up the failed gadget also failed: {Error}", slot, e.Message);
        }
    }
}
