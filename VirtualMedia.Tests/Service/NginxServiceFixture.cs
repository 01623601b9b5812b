using VirtualMedia.Tests.Infrastructure;

namespace VirtualMedia.Tests.Service;

/// <summary>One nginx with a test image and one service (standard slots, trusting nginx's CA) shared by a fixture's tests.</summary>
public abstract class NginxServiceFixture
{
    private protected NginxServer Nginx { get; private set; } = null!;

    private protected ServiceRig Rig { get; private set; } = null!;

    /// <summary>The slots' NBD client timeout in seconds.</summary>
    private protected virtual ushort SlotTimeout => 30;

    [OneTimeSetUp]
    public async Task StartNginxAndServiceAsync()
    {
        Nginx = await NginxServer.StartAsync();
        await PrepareImagesAsync(Nginx.Root);
        Rig = await ServiceRig.StartAsync(rig => ServiceRig.StandardConfig(
            rig, $"\"InactivityTimeout\": 1800, \"CaDirectory\": \"{Nginx.CaDirectory}\"", SlotTimeout));
    }

    [TearDown]
    public void ShowServiceLogOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed && Rig is not null)
        {
            TestContext.Out.WriteLine(Rig.Service.Output);
        }
    }

    [OneTimeTearDown]
    public async Task StopNginxAndServiceAsync()
    {
        if (Rig is not null)
        {
            await Rig.DisposeAsync();
        }

        if (Nginx is not null)
        {
            await Nginx.DisposeAsync();
        }
    }

    /// <summary>Writes the fixture's images into nginx's root before the service starts.</summary>
    private protected abstract Task PrepareImagesAsync(string root);
}
