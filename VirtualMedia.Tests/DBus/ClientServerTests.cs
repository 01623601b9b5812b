using System.Diagnostics;
using VirtualMedia.DBus;

namespace VirtualMedia.Tests.DBus;

/// <summary>Our client against our server through a real dbus-daemon.</summary>
public sealed class ClientServerTests : BusTestBase
{
    private static readonly Dictionary<string, object> SampleValues = new()
    {
        ["y"] = (byte)250,
        ["b"] = true,
        ["n"] = (short)-30000,
        ["q"] = (ushort)60000,
        ["i"] = int.MinValue,
        ["u"] = uint.MaxValue,
        ["x"] = long.MinValue,
        ["t"] = ulong.MaxValue,
        ["d"] = -1.25e300,
        ["s"] = "grüße \u2713",
        ["o"] = "/a/b_1",
        ["g"] = "a{sv}(ii)",
        ["v"] = new DBusVariant("(si)", new object[] { "x", 3 }),
        ["ai"] = new object[] { 1, -2, 3 },
        ["as"] = new object[] { "a", string.Empty, "c" },
        ["ay"] = Array.Empty<object>(),
        ["a{sv}"] = new Dictionary<object, object> { ["k"] = new DBusVariant("i", 5), ["l"] = new DBusVariant("s", "v") },
        ["a{oa{sa{sv}}}"] = new Dictionary<object, object>
        {
            ["/o"] = new Dictionary<object, object> { ["i.f"] = new Dictionary<object, object> { ["p"] = new DBusVariant("t", 9UL) } },
        },
        ["(ybnqiuxtdsog)"] = new object[] { (byte)1, false, (short)-2, (ushort)3, -4, 5u, -6L, 7UL, 0.5, "s", "/", "ai" },
        ["a(is)"] = new object[] { new object[] { 1, "one" }, new object[] { 2, "two" } },
        ["aai"] = new object[] { new object[] { 1 }, Array.Empty<object>(), new object[] { 2, 3 } },
    };

    public static IEnumerable<TestCaseData> EveryType() =>
        from signature in TestService.EchoSignatures.Where(s => s != "sbh")
        from bigEndian in new[] { false, true }
        select new TestCaseData(signature, bigEndian).SetArgDisplayNames(signature, bigEndian ? "big-endian" : "little-endian");

    [TestCaseSource(nameof(EveryType))]
    public async Task Every_type_goes_through_a_call_and_back(string signature, bool bigEndian)
    {
        var value = SampleValues[signature];
        var body = MessageBody.Create(signature, bigEndian);
        DBusValue.Write(body, signature, value);

        using var reply = await CallAsync("Echo", body);

        reply.Signature.Should().Be(signature);
        reply.GetReader().ReadValue(signature).Should().BeEquivalentTo(value, o => o.RespectingRuntimeTypes());
    }

    [Test]
    public async Task Error_replies_carry_name_and_message()
    {
        var errno = MessageBody.Create("i");
        errno.WriteInt32(Errno.EBUSY);
        var busy = await FluentActions.Awaiting(() => CallAsync("Fail", errno)).Should().ThrowAsync<DBusErrorException>();
        busy.Which.ErrorName.Should().Be("System.Error.EBUSY");
        busy.Which.ErrorMessage.Should().Be("failed on purpose");

        var named = await FluentActions.Awaiting(() => CallAsync("FailNamed")).Should().ThrowAsync<DBusErrorException>();
        named.Which.ErrorName.Should().Be("org.virtualmedia.Error.Custom");
        named.Which.ErrorMessage.Should().Be("custom message");

        HandlerFailedEventArgs? reported = null;
        EventHandler<HandlerFailedEventArgs> onFailure = (_, e) => reported = e;
        Server.Objects.HandlerFailed += onFailure;
        try
        {
            var crash = await FluentActions.Awaiting(() => CallAsync("Crash")).Should().ThrowAsync<DBusErrorException>();
            crash.Which.ErrorName.Should().Be(DBusErrorNames.Failed);
            crash.Which.ErrorMessage.Should().Be(TestService.Interface + ".Crash failed").And.NotContain("handler bug");
            reported!.Exception.Message.Should().Be("handler bug");
            reported.Member.Should().Be("Crash");
        }
        finally
        {
            Server.Objects.HandlerFailed -= onFailure;
        }
    }

    [TestCase("/nope", TestService.Interface, "Increment", "", DBusErrorNames.UnknownObject)]
    [TestCase(TestService.Path, "org.virtualmedia.Nope", "Increment", "", DBusErrorNames.UnknownInterface)]
    [TestCase(TestService.Path, TestService.Interface, "Nope", "", DBusErrorNames.UnknownMethod)]
    [TestCase(TestService.Path, TestService.Interface, "Increment", "s", DBusErrorNames.InvalidArgs)]
    [TestCase(TestService.Path, TestService.Interface, "Mount", "sbi", DBusErrorNames.InvalidArgs)]
    [TestCase(TestService.Path, "org.freedesktop.DBus.Properties", "Get", "s", DBusErrorNames.InvalidArgs)]
    [TestCase(TestService.Path, "org.freedesktop.DBus.Properties", "Nope", "", DBusErrorNames.UnknownMethod)]
    [TestCase("/org/virtualmedia", "org.freedesktop.DBus.Properties", "GetAll", "s", DBusErrorNames.UnknownObject)]
    public async Task Standard_errors_for_everything_not_served(string path, string interfaceName, string member, string signature, string expected)
    {
        var body = MessageBody.Create(signature);
        foreach (var code in signature)
        {
            DBusValue.Write(body, code.ToString(), code switch { 's' => TestService.Interface, 'b' => true, _ => 1 });
        }

        var error = await FluentActions.Awaiting(() => Client.CallMethodAsync(TestService.BusName, path, interfaceName, member, body, PeerTimeout))
            .Should().ThrowAsync<DBusErrorException>();
        error.Which.ErrorName.Should().Be(expected);
    }

    [TestCase("Nope", "s", DBusErrorNames.UnknownProperty)]
    [TestCase("ImageURL", "s", DBusErrorNames.PropertyReadOnly)]
    [TestCase("Int32", "s", DBusErrorNames.InvalidArgs)]
    public async Task Property_set_errors(string property, string valueSignature, string expected)
    {
        var body = MessageBody.Create("ssv");
        body.WriteString(TestService.Interface);
        body.WriteString(property);
        body.WriteVariantSignature(valueSignature);
        body.WriteString("x");

        var error = await FluentActions.Awaiting(() => Client.CallMethodAsync(TestService.BusName, TestService.Path, "org.freedesktop.DBus.Properties", "Set", body, PeerTimeout))
            .Should().ThrowAsync<DBusErrorException>();
        error.Which.ErrorName.Should().Be(expected);
    }

    [Test]
    public async Task Properties_get_and_get_all()
    {
        var get = MessageBody.Create("ss");
        get.WriteString(TestService.Interface);
        get.WriteString("Int64");
        using (var reply = await Client.CallMethodAsync(TestService.BusName, TestService.Path, "org.freedesktop.DBus.Properties", "Get", get, PeerTimeout))
        {
            reply.GetReader().ReadValue("v").Should().BeEquivalentTo(new DBusVariant("x", -9000000000000L));
        }

        var all = MessageBody.Create("s");
        all.WriteString(TestService.Interface);
        using var allReply = await Client.CallMethodAsync(TestService.BusName, TestService.Path, "org.freedesktop.DBus.Properties", "GetAll", all, PeerTimeout);
        var properties = (Dictionary<object, object>)allReply.GetReader().ReadValue("a{sv}");
        properties.Keys.Should().HaveCount(Service.Test.Properties.Count);
        properties["Struct"].Should().BeEquivalentTo(new DBusVariant("(is)", new object[] { 7, "seven" }));
    }

    [Test]
    public async Task One_member_dispatches_by_signature()
    {
        var withInt = MessageBody.Create("sbv");
        withInt.WriteString("https://host/a.iso");
        withInt.WriteBool(false);
        withInt.WriteVariantSignature("i");
        withInt.WriteInt32(-1);
        using (var reply = await CallAsync("Mount", withInt))
        {
            reply.GetReader().ReadBool().Should().BeTrue();
        }

        Service.LastMount.Should().Be(("sbv", "https://host/a.iso", false, "i:-1"));

        using var pipe = UnixPipe.WithContent("user\0password\0");
        var withFdVariant = MessageBody.Create("sbv");
        withFdVariant.WriteString("https://host/b.iso");
        withFdVariant.WriteBool(true);
        withFdVariant.WriteVariantSignature("h");
        withFdVariant.WriteUnixFd(pipe);
        using (var reply = await CallAsync("Mount", withFdVariant))
        {
            reply.GetReader().ReadBool().Should().BeTrue();
        }

        Service.LastMount.Should().Be(("sbv", "https://host/b.iso", true, "fd"));
    }

    [Test]
    public async Task A_call_times_out()
    {
        var body = MessageBody.Create("i");
        body.WriteInt32(3000);
        var stopwatch = Stopwatch.StartNew();

        await FluentActions.Awaiting(() => CallAsync("Slow", body, TimeSpan.FromMilliseconds(300))).Should().ThrowAsync<TimeoutException>();

        stopwatch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2));
    }

    [Test]
    public async Task A_call_can_be_cancelled()
    {
        var body = MessageBody.Create("i");
        body.WriteInt32(3000);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await FluentActions.Awaiting(() => CallAsync("Slow", body, cancellationToken: cancel.Token)).Should().ThrowAsync<OperationCanceledException>();
    }

    [TestCase("Slow")]
    [TestCase("Block")]
    public async Task A_slow_handler_does_not_block_other_calls_or_connections(string slowMethod)
    {
        await using var other = await DBusConnection.ConnectAsync(Daemon.Address);
        var body = MessageBody.Create("i");
        body.WriteInt32(2000);
        var slow = CallAsync(slowMethod, body);

        using (var fast = await CallAsync("Increment"))
        {
            fast.GetReader().ReadInt32().Should().BePositive();
        }

        using (var fromOther = await other.CallMethodAsync(TestService.BusName, TestService.Path, TestService.Interface, "Increment"))
        {
            fromOther.GetReader().ReadInt32().Should().BePositive();
        }

        slow.IsCompleted.Should().BeFalse("both answers came while the 2 s handler still ran; served behind it, they would have come after its reply");
        using var slowReply = await slow;
    }

    [Test]
    public async Task No_reply_expected_calls_run_without_a_reply()
    {
        var before = Service.Increments;

        Client.CallMethodNoReply(TestService.BusName, TestService.Path, TestService.Interface, "Increment");

        (await Service.IncrementsAfterAsync(before, PeerTimeout)).Should().Be(before + 1);
    }

    [Test]
    public async Task Signals_arrive_through_match_rules_until_removed()
    {
        var received = new List<int>();
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscription = await Client.AddMatchAsync(
            new MatchRule { Interface = TestService.Interface, Member = "Completion", Path = TestService.Path },
            message =>
            {
                lock (received)
                {
                    received.Add(message.GetReader().ReadInt32());
                }

                first.TrySetResult();
            });

        await EmitAsync(5);
        await first.Task.WaitAsync(PeerTimeout);
        await subscription.DisposeAsync();
        await EmitAsync(6);
        using (await CallAsync("Increment"))
        {
            // A round trip after the second signal: had it been delivered, it would have arrived by now.
        }

        lock (received)
        {
            received.Should().Equal(5);
        }
    }

    [Test]
    public async Task Properties_changed_carries_values_from_the_getters_and_invalidations()
    {
        var changed = new TaskCompletionSource<object[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscription = await Client.AddMatchAsync(
            new MatchRule { Interface = "org.freedesktop.DBus.Properties", Member = "PropertiesChanged", Path = TestService.Path, Arg0 = TestService.Interface },
            message =>
            {
                var reader = message.GetReader();
                changed.TrySetResult([reader.ReadString(), reader.ReadValue("a{sv}"), reader.ReadValue("as")]);
            });
        var body = MessageBody.Create("s");
        body.WriteString("new value");

        using (await CallAsync("SetString", body))
        {
            var (name, values, invalidated) = (await changed.Task.WaitAsync(PeerTimeout)) switch { var a => (a[0], a[1], a[2]) };
            name.Should().Be(TestService.Interface);
            values.Should().BeEquivalentTo(new Dictionary<object, object> { ["String"] = new DBusVariant("s", "new value"), ["ImageURL"] = new DBusVariant("s", "new value") });
            invalidated.Should().BeEquivalentTo(new object[] { "UInt64" });
        }
    }

    [Test]
    public async Task Object_manager_lists_objects_and_signals_additions_and_removals()
    {
        var added = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var removed = new TaskCompletionSource<object[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var onAdded = await Client.AddMatchAsync(
            new MatchRule { Interface = "org.freedesktop.DBus.ObjectManager", Member = "InterfacesAdded" },
            message => added.TrySetResult(message.GetReader().ReadObjectPath()));
        await using var onRemoved = await Client.AddMatchAsync(
            new MatchRule { Interface = "org.freedesktop.DBus.ObjectManager", Member = "InterfacesRemoved" },
            message =>
            {
                var reader = message.GetReader();
                removed.TrySetResult([reader.ReadObjectPath(), reader.ReadValue("as")]);
            });

        var extra = Server.Objects.Register(TestService.ManagerPath + "/Extra", new DBusInterface("org.virtualmedia.Extra1").AddProperty("Id", "u", PropertyAccess.Read, v => v.WriteUInt32(9)));
        (await added.Task.WaitAsync(PeerTimeout)).Should().Be(TestService.ManagerPath + "/Extra");

        using (var managed = await Client.CallMethodAsync(TestService.BusName, TestService.ManagerPath, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", timeout: PeerTimeout))
        {
            var objects = (Dictionary<object, object>)managed.GetReader().ReadValue("a{oa{sa{sv}}}");
            objects.Keys.Should().BeEquivalentTo(new[] { TestService.Path, TestService.ManagerPath + "/Extra" });
            objects[TestService.ManagerPath + "/Extra"].Should().BeEquivalentTo(new Dictionary<object, object>
            {
                ["org.virtualmedia.Extra1"] = new Dictionary<object, object> { ["Id"] = new DBusVariant("u", 9u) },
            });
        }

        extra.Dispose();
        (await removed.Task.WaitAsync(PeerTimeout)).Should().BeEquivalentTo(new object[] { TestService.ManagerPath + "/Extra", new object[] { "org.virtualmedia.Extra1" } });
    }

    [Test]
    public async Task Request_name_reports_a_taken_name_and_release_frees_it()
    {
        await using var first = await DBusConnection.ConnectAsync(Daemon.Address);
        await using var second = await DBusConnection.ConnectAsync(Daemon.Address);

        (await first.RequestNameAsync("org.virtualmedia.Contested")).Should().Be(RequestNameReply.PrimaryOwner);
        var taken = await FluentActions.Awaiting(() => second.RequestNameAsync("org.virtualmedia.Contested")).Should().ThrowAsync<DBusNameTakenException>();
        taken.Which.Reply.Should().Be(RequestNameReply.Exists);
        taken.Which.Name.Should().Be("org.virtualmedia.Contested");

        (await first.ReleaseNameAsync("org.virtualmedia.Contested")).Should().Be(ReleaseNameReply.Released);
        (await second.RequestNameAsync("org.virtualmedia.Contested")).Should().Be(RequestNameReply.PrimaryOwner);
        (await second.ReleaseNameAsync("org.virtualmedia.Nobody")).Should().Be(ReleaseNameReply.NonExistent);
    }

    [Test]
    public async Task System_bus_address_comes_from_the_environment()
    {
        var saved = Environment.GetEnvironmentVariable("DBUS_SYSTEM_BUS_ADDRESS");
        try
        {
            Environment.SetEnvironmentVariable("DBUS_SYSTEM_BUS_ADDRESS", Daemon.Address);
            await using var bus = await DBusConnection.ConnectSystemBusAsync();
            bus.UniqueName.Should().StartWith(":1.");

            Environment.SetEnvironmentVariable("DBUS_SYSTEM_BUS_ADDRESS", null);
            DBusAddress.SystemBus.Should().Be("unix:path=/run/dbus/system_bus_socket");
        }
        finally
        {
            Environment.SetEnvironmentVariable("DBUS_SYSTEM_BUS_ADDRESS", saved);
        }
    }

    [Test]
    public async Task Disposing_fails_pending_calls_and_refuses_new_ones()
    {
        var connection = await DBusConnection.ConnectAsync(Daemon.Address);
        var body = MessageBody.Create("i");
        body.WriteInt32(3000);
        var pending = connection.CallMethodAsync(TestService.BusName, TestService.Path, TestService.Interface, "Slow", body);

        await connection.DisposeAsync();

        await FluentActions.Awaiting(() => pending).Should().ThrowAsync<DBusConnectionClosedException>();
        await FluentActions.Awaiting(() => connection.CallMethodAsync(TestService.BusName, TestService.Path, TestService.Interface, "Increment"))
            .Should().ThrowAsync<DBusConnectionClosedException>();
        await connection.Completion;
    }

    private async Task EmitAsync(int value)
    {
        var body = MessageBody.Create("i");
        body.WriteInt32(value);
        using var reply = await CallAsync("Emit", body);
    }
}
