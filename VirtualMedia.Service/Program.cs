using System.CommandLine;
using VirtualMedia.Service.Commands;

var root = new RootCommand("VirtualMedia: virtual media service for OpenBMC");
root.Subcommands.Add(ServeCommand.Create());
return await root.Parse(args).InvokeAsync();
