using Perspective.Cli;
using Perspective.Cli.Infrastructure;

return await PovApp.RunAsync(args, CliContext.FromProcess());
