using System.Text;
using Perspective.Audit.Cli;

// `make audit` (deploy/local/audit.sh passes the local stack's endpoints and databases); AuditCommand says the usage.
Console.OutputEncoding = Encoding.UTF8;
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
return await AuditCommand.RunAsync(args, Console.Out, Console.Error, cancel.Token);
