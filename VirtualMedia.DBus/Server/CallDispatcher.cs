namespace VirtualMedia.DBus;

/// <summary>Routes an incoming call by path, interface, member and signature to a handler or a standard interface.</summary>
internal static class CallDispatcher
{
    public static ValueTask<MessageBody?> DispatchAsync(DBusObjectTree tree, MethodCall call, CancellationToken cancellationToken)
    {
        var path = call.Path;
        var interfaceName = call.Interface;
        var member = call.Member;
        if (interfaceName == StandardInterfaces.Peer || (interfaceName is null && member is "Ping" or "GetMachineId"))
        {
            return new(Peer(call));
        }

        if (interfaceName == StandardInterfaces.Introspectable || (interfaceName is null && member == "Introspect"))
        {
            Expect(call, "Introspect", string.Empty);
            var xml = tree.Introspect(path) ?? throw UnknownObject(path);
            return new(Reply("s", body => body.WriteString(xml)));
        }

        var target = tree.Find(path);
        if (interfaceName == StandardInterfaces.ObjectManager && tree.IsObjectManager(path))
        {
            Expect(call, "GetManagedObjects", string.Empty);
            return new(ManagedObjects(tree, path));
        }

        if (target is null)
        {
            throw UnknownObject(path);
        }

        if (interfaceName == StandardInterfaces.Properties)
        {
            return new(Properties(target, call));
        }

        DBusMethod? method = null;
        var memberExists = false;
        if (interfaceName is null)
        {
            foreach (var candidate in target.Interfaces)
            {
                method = candidate.FindMethod(member, call.Signature, out var exists);
                memberExists |= exists;
                if (method is not null)
                {
                    break;
                }
            }
        }
        else
        {
            var owner = target.FindInterface(interfaceName)
                ?? throw new DBusErrorException(DBusErrorNames.UnknownInterface, $"Unknown interface '{interfaceName}' on object '{path}'.");
            method = owner.FindMethod(member, call.Signature, out memberExists);
        }

        if (method is null)
        {
            throw memberExists
                ? new DBusErrorException(DBusErrorNames.InvalidArgs, $"Invalid arguments '{call.Signature}' to call {interfaceName}.{member}().")
                : new DBusErrorException(DBusErrorNames.UnknownMethod, $"Unknown method '{member}' or interface '{interfaceName}'.");
        }

        return method.Handler(call, cancellationToken);
    }

    private static MessageBody? Peer(MethodCall call)
    {
        if (call.Member == "Ping")
        {
            Expect(call, "Ping", string.Empty);
            return null;
        }

        Expect(call, "GetMachineId", string.Empty);
        var id = MachineId.Value ?? throw new DBusErrorException(DBusErrorNames.FileNotFound, "this machine has no /etc/machine-id");
        return Reply("s", body => body.WriteString(id));
    }

    private static MessageBody Properties(DBusObject target, MethodCall call)
    {
        var reader = call.Reader;
        switch (call.Member)
        {
            case "Get":
                Expect(call, "Get", "ss");
                var getProperty = FindProperty(target, reader.ReadString(), reader.ReadString());
                if (!getProperty.CanRead)
                {
                    throw new DBusErrorException(DBusErrorNames.AccessDenied, $"Property '{getProperty.Name}' is not readable.");
                }

                return Reply("v", body => StandardInterfaces.WritePropertyVariant(body, getProperty));
            case "GetAll":
                Expect(call, "GetAll", "s");
                var interfaceName = reader.ReadString();
                var owner = target.FindInterface(interfaceName)
                    ?? throw new DBusErrorException(DBusErrorNames.UnknownInterface, $"Unknown interface '{interfaceName}'.");
                return Reply("a{sv}", body => StandardInterfaces.WriteProperties(body, owner));
            case "Set":
                Expect(call, "Set", "ssv");
                var setProperty = FindProperty(target, reader.ReadString(), reader.ReadString());
                if (!setProperty.CanWrite)
                {
                    throw new DBusErrorException(DBusErrorNames.PropertyReadOnly, $"Property '{setProperty.Name}' is not writable.");
                }

                var signature = reader.ReadVariantSignature();
                if (signature != setProperty.Signature)
                {
                    throw new DBusErrorException(DBusErrorNames.InvalidArgs, $"Property '{setProperty.Name}' has type '{setProperty.Signature}', not '{signature}'.");
                }

                setProperty.Setter!(reader);
                return MessageBody.Create(string.Empty);
            default:
                throw new DBusErrorException(DBusErrorNames.UnknownMethod, $"Unknown method '{call.Member}' of {StandardInterfaces.Properties}.");
        }
    }

    private static DBusProperty FindProperty(DBusObject target, string interfaceName, string name)
    {
        var owner = target.FindInterface(interfaceName)
            ?? throw new DBusErrorException(DBusErrorNames.UnknownInterface, $"Unknown interface '{interfaceName}'.");
        return owner.FindProperty(name)
            ?? throw new DBusErrorException(DBusErrorNames.UnknownProperty, $"Unknown property '{name}' of interface '{interfaceName}'.");
    }

    private static MessageBody ManagedObjects(DBusObjectTree tree, string path)
    {
        var prefix = path == "/" ? "/" : path + "/";
        return Reply("a{oa{sa{sv}}}", body =>
        {
            var array = body.WriteArrayStart('{');
            foreach (var item in tree.Objects.Where(o => o.Path.StartsWith(prefix, StringComparison.Ordinal) && o.Path != path).OrderBy(o => o.Path, StringComparer.Ordinal))
            {
                body.WriteStructStart();
                body.WriteObjectPath(item.Path);
                StandardInterfaces.WriteInterfacesAndProperties(body, item);
            }

            body.WriteArrayEnd(array);
        });
    }

    private static MessageBody Reply(string signature, Action<MessageBody> write)
    {
        var body = MessageBody.Create(signature);
        try
        {
            write(body);
            return body;
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    private static void Expect(MethodCall call, string member, string signature)
    {
        if (call.Member != member)
        {
            throw new DBusErrorException(DBusErrorNames.UnknownMethod, $"Unknown method '{call.Member}' of interface '{call.Interface}'.");
        }

        if (call.Signature != signature)
        {
            throw new DBusErrorException(DBusErrorNames.InvalidArgs, $"Invalid arguments '{call.Signature}' to call {call.Interface}.{member}(), expecting '{signature}'.");
        }
    }

    private static DBusErrorException UnknownObject(string path) =>
        new(DBusErrorNames.UnknownObject, $"Unknown object '{path}'.");

    private static class MachineId
    {
        public static readonly string? Value = Read("/etc/machine-id") ?? Read("/var/lib/dbus/machine-id");

        private static string? Read(string file)
        {
            try
            {
                var text = File.ReadAllText(file).Trim();
                return text.Length == 32 ? text : null;
            }
            catch (IOException)
            {
                return null;
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
        }
    }
}
