using System.ComponentModel;
using System.Globalization;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Governance.V1;
using Spectre.Console;
using Spectre.Console.Cli;
using Platform = Perspective.Contracts.Platform.V1;
using SubDao = Perspective.Contracts.SubDao.V1;

namespace Perspective.Cli.Commands.Governance;

/// <summary>A DAO's governance settings: a model's sub-DAO (<c>--model</c>) or the platform DAO (<c>--platform</c>).</summary>
public sealed class DaoShowCommand(CliContext cli) : PovCommand<DaoShowCommand.Settings>(cli)
{
    public sealed class Settings : PovSettings
    {
        [CommandOption("--model <MODEL_ID>")]
        public string? Model { get; init; }

        [CommandOption("--platform")]
        public bool Platform { get; init; }

        public override ValidationResult Validate() =>
            (Model is null) == !Platform ? ValidationResult.Error("give exactly one of --model <MODEL_ID> or --platform") : ValidationResult.Success();
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        if (settings.Platform)
        {
            var r = await s.Clients.Platform.GetDaoAsync(new Platform.GetDaoRequest(), s.Clients.Call(ct));
            if (s.Out.Json)
            {
                s.Out.Message(r);
                return;
            }
            s.Out.Fields("Platform DAO", [("voting asset", r.Dao.VotingAsset), ("created", Show.Time(r.Dao.CreatedAt)),
                ("settings updated", Show.Time(r.Dao.SettingsUpdatedAt)), .. Fields(r.Dao.Settings)]);
            return;
        }
        var sub = await s.Clients.SubDao.GetDaoAsync(new SubDao.GetDaoRequest { ModelId = settings.Model! }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(sub);
            return;
        }
        var d = sub.Dao;
        s.Out.Fields($"Sub-DAO of {d.ModelId}", [("voting asset", d.VotingAsset), ("treasury", d.TreasuryAccount),
            ("accepting proposals", d.AcceptingProposals ? "yes" : "no"), ("created", Show.Time(d.CreatedAt)),
            ("settings updated", Show.Time(d.SettingsUpdatedAt)), .. Fields(d.Settings)]);
    }

    internal static (string, string)[] Fields(GovernanceSettings g) =>
    [
        ("voting delay", Seconds(g.VotingDelaySeconds)), ("voting period", Seconds(g.VotingPeriodSeconds)),
        ("quorum", Bps(g.QuorumBps)), ("pass threshold", Bps(g.PassThresholdBps)), ("proposal threshold", Show.Count(g.ProposalThreshold)),
        ("execution delay", Seconds(g.ExecutionDelaySeconds)), ("grace period", Seconds(g.GracePeriodSeconds)),
        ("late quorum extension", Seconds(g.LateQuorumExtensionSeconds)),
    ];

    private static string Seconds(long s) => $"{s.ToString(CultureInfo.InvariantCulture)} s ({TimeSpan.FromSeconds(s).ToString("g", CultureInfo.InvariantCulture)})";

    private static string Bps(int bps) => $"{(bps / 100.0).ToString("0.##", CultureInfo.InvariantCulture)} % ({bps} bps)";
}

public sealed class DaoListCommand(CliContext cli) : PovCommand<PageSettings>(cli)
{
    protected override async Task RunAsync(Session s, PageSettings settings, CancellationToken ct)
    {
        var r = await s.Clients.SubDao.ListDaosAsync(new SubDao.ListDaosRequest { PageSize = settings.Limit, PageToken = settings.PageToken ?? "" }, s.Clients.Call(ct));
        if (s.Out.Json)
        {
            s.Out.Message(r);
            return;
        }
        s.Out.Table("Sub-DAOs", ["model id", "voting asset", "treasury", "accepting", "quorum bps", "threshold bps", ">voting period s"],
            r.Daos.Select(d => new[]
            {
                d.ModelId, d.VotingAsset, d.TreasuryAccount, d.AcceptingProposals ? "yes" : "no", d.Settings.QuorumBps.ToString(CultureInfo.InvariantCulture),
                d.Settings.PassThresholdBps.ToString(CultureInfo.InvariantCulture), d.Settings.VotingPeriodSeconds.ToString(CultureInfo.InvariantCulture),
            }));
        s.Out.NextPage(r.NextPageToken);
    }
}
