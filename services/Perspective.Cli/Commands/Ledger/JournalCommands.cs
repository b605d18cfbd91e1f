using System.ComponentModel;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Ledger.V1;
using Spectre.Console.Cli;

namespace Perspective.Cli.Commands.Ledger;

public sealed class JournalHeadCommand(CliContext cli) : PovCommand<PovSettings>(cli)
{
    protected override async Task RunAsync(Session s, PovSettings settings, CancellationToken ct)
    {
        var head = await s.Clients.Ledger.GetHeadAsync(new GetHeadRequest(), s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(head);
            return;
        }
        s.Out.Fields("Journal head", ("sequence", head.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("hash", head.Hash), ("committed", Show.Time(head.CommittedAt)));
    }
}

public sealed class JournalVerifyCommand(CliContext cli) : PovCommand<JournalVerifyCommand.Settings>(cli)
{
    public sealed class Settings : PovSettings
    {
        [CommandOption("--from <SEQ>")]
        [Description("First sequence (default: 1)")]
        public long From { get; init; }

        [CommandOption("--to <SEQ>")]
        [Description("Last sequence (default: the head)")]
        public long To { get; init; }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        var result = await s.Clients.Ledger.VerifyJournalAsync(new VerifyJournalRequest { FromSequence = settings.From, ToSequence = settings.To }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(result);
        }
        else if (result.Valid)
        {
            s.Out.Done($"journal verified: {result.EntriesChecked:N0} entries, sequences {result.FromSequence}–{result.ToSequence}, hash chain intact");
        }
        else
        {
            var m = result.FirstMismatch;
            s.Out.Fields("Journal verification FAILED", ("first mismatch", m.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("reason", m.Reason), ("expected hash", m.ExpectedHash), ("stored hash", m.StoredHash), ("entries checked", Show.Count(result.EntriesChecked)));
        }
        if (!result.Valid)
        {
            // A broken chain is the platform saying no: scripts see it in the exit code.
            throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.DataLoss, $"journal hash chain broken at sequence {result.FirstMismatch?.Sequence}"));
        }
    }
}
