using System.CommandLine;
using VirtualMedia.Service.Commands;
using VirtualMedia.Service.Configuration;
using VirtualMedia.Service.Hosting;

RuntimeTuning.Apply();
var configuration = new Option<string>("--config")
{
    Description = "The configuration file",
    DefaultValueFactory = _ => ConfigurationDefaults.ConfigurationFile,
};
var root = new RootCommand("VirtualMedia: virtual media service for OpenBMC (runs the D-Bus service unless a command is given)");
root.Options.Add(configuration);
root.SetAction((result, cancellationToken) => ServiceRunner.RunAsync(result.GetValue(configuration)!, cancellationToken));
root.Subcommands.Add(ServeCommand.Create());
// Stopping ejects every slot, which may take longer than System.CommandLine's default grace after SIGTERM.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(70) });
