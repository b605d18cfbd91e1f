using System.ComponentModel;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Platform.V1;
using Perspective.Contracts.SubDao.V1;
using Spectre.Console;
using Spectre.Console.Cli;
using Platform = Perspective.Contracts.Platform.V1;
using SubDao = Perspective.Contracts.SubDao.V1;

namespace Perspective.Cli.Commands.Governance;

/// <summary>Creates a proposal in a model's sub-DAO (<c>--model</c>) or the platform DAO (<c>--platform</c>), with its actions.</summary>
public sealed class ProposalCreateCommand(CliContext cli) : PovCommand<ProposalCreateCommand.Settings>(cli)
{
    public sealed class Settings : MutatingSettings
    {
        [CommandOption("--model <MODEL_ID>")]
        [Description("Propose in this model's sub-DAO")]
        public string? Model { get; init; }

        [CommandOption("--platform")]
        [Description("Propose in the platform DAO")]
        public bool Platform { get; init; }

        [CommandOption("--title <TEXT>")]
        public string Title { get; init; } = "";

        [CommandOption("--description <TEXT>")]
        public string? Description { get; init; }

        [CommandOption("--set-usage-fee <AMOUNT>")]
        [Description("Sub-DAO: new price in POV base units per unit (an integer)")]
        public long? SetUsageFee { get; init; }

        [CommandOption("--treasury-spend <TO:AMOUNT[:PURPOSE]>")]
        [Description("Sub-DAO: pay POV base units (an integer) from the model's treasury; repeatable")]
        public string[] TreasurySpend { get; init; } = [];

        [CommandOption("--distribute <AMOUNT>")]
        [Description("Sub-DAO: distribute POV base units (an integer) from the treasury to the token's holders at the snapshot")]
        public long? Distribute { get; init; }

        [CommandOption("--list-model <MODEL_ID>")]
        [Description("Platform: list a model pending listing")]
        public string[] ListModel { get; init; } = [];

        [CommandOption("--delist-model <MODEL_ID[:REASON]>")]
        public string[] DelistModel { get; init; } = [];

        [CommandOption("--ban-model <MODEL_ID[:REASON]>")]
        public string[] BanModel { get; init; } = [];

        [CommandOption("--reinstate-model <MODEL_ID>")]
        public string[] ReinstateModel { get; init; } = [];

        [CommandOption("--publish-standard <TITLE>")]
        [Description("Platform: publish a standard (with --standard-version and --standard-text or --standard-file)")]
        public string? PublishStandard { get; init; }

        [CommandOption("--standard-version <VERSION>")]
        [DefaultValue("1.0")]
        public string StandardVersion { get; init; } = "1.0";

        [CommandOption("--standard-text <TEXT>")]
        public string? StandardText { get; init; }

        [CommandOption("--standard-file <PATH>")]
        public string? StandardFile { get; init; }

        [CommandOption("--set-parameter <KEY=VALUE>")]
        [Description("Platform: set a parameter (true/false, an integer or text); repeatable")]
        public string[] SetParameter { get; init; } = [];

        [CommandOption("--signal")]
        [Description("A signal action with no effect (a vote on the text alone)")]
        public bool Signal { get; init; }

        public override ValidationResult Validate()
        {
            if ((Model is null) == !Platform)
            {
                return ValidationResult.Error("give exactly one of --model <MODEL_ID> (sub-DAO) or --platform");
            }
            if (Title.Length == 0)
            {
                return ValidationResult.Error("--title is required");
            }
            var subDaoActions = SetUsageFee is not null || TreasurySpend.Length > 0 || Distribute is not null;
            var platformActions = ListModel.Length + DelistModel.Length + BanModel.Length + ReinstateModel.Length + SetParameter.Length > 0 || PublishStandard is not null;
            if (Platform && subDaoActions)
            {
                return ValidationResult.Error("--set-usage-fee, --treasury-spend and --distribute are sub-DAO actions (use --model)");
            }
            if (!Platform && platformActions)
            {
                return ValidationResult.Error("model listing, standards and parameters are platform actions (use --platform)");
            }
            if (!subDaoActions && !platformActions && !Signal)
            {
                return ValidationResult.Error("give at least one action (see --help)");
            }
            return ValidationResult.Success();
        }
    }

    protected override async Task RunAsync(Session s, Settings settings, CancellationToken ct)
    {
        ProposalView proposal;
        if (settings.Platform)
        {
            var request = new Platform.CreateProposalRequest { Title = settings.Title, Description = settings.Description ?? "" };
            request.Actions.AddRange(PlatformActions(settings));
            request.RequestId = s.RequestId(settings);
            proposal = ProposalView.Of((await s.Clients.Platform.CreateProposalAsync(request, s.Clients.Call(ct))).Proposal);
        }
        else
        {
            var request = new SubDao.CreateProposalRequest { ModelId = settings.Model!, Title = settings.Title, Description = settings.Description ?? "" };
            request.Actions.AddRange(SubDaoActions(settings));
            request.RequestId = s.RequestId(settings);
            var created = (await s.Clients.SubDao.CreateProposalAsync(request, s.Clients.Call(ct))).Proposal;
            proposal = ProposalView.Of(created, await s.Clients.MoneyAsync(ct, Money.Pov));
        }
        ProposalOutput.Show(s.Out, proposal);
    }

    private static IEnumerable<SubDaoAction> SubDaoActions(Settings settings)
    {
        if (settings.SetUsageFee is { } fee)
        {
            yield return new SubDaoAction { SetUsageFee = new SetUsageFeeAction { AmountPerUnit = fee } };
        }
        foreach (var spend in settings.TreasurySpend)
        {
            var parts = Parse.Pair("--treasury-spend", spend, "TO:AMOUNT[:PURPOSE]", 3);
            yield return new SubDaoAction
            {
                TreasurySpend = new TreasurySpendAction
                {
                    RecipientAccount = parts[0],
                    Amount = Parse.Long("--treasury-spend", parts[1]),
                    Purpose = parts.Length > 2 ? parts[2] : "",
                },
            };
        }
        if (settings.Distribute is { } amount)
        {
            yield return new SubDaoAction { DistributeRewards = new DistributeRewardsAction { Amount = amount } };
        }
        if (settings.Signal)
        {
            yield return new SubDaoAction { Signal = new SignalAction() };
        }
    }

    private static IEnumerable<PlatformAction> PlatformActions(Settings settings)
    {
        foreach (var id in settings.ListModel)
        {
            yield return new PlatformAction { ListModel = new ListModelAction { ModelId = id } };
        }
        foreach (var (id, reason) in settings.DelistModel.Select(IdAndReason))
        {
            yield return new PlatformAction { DelistModel = new DelistModelAction { ModelId = id, Reason = reason } };
        }
        foreach (var (id, reason) in settings.BanModel.Select(IdAndReason))
        {
            yield return new PlatformAction { BanModel = new BanModelAction { ModelId = id, Reason = reason } };
        }
        foreach (var id in settings.ReinstateModel)
        {
            yield return new PlatformAction { ReinstateModel = new ReinstateModelAction { ModelId = id } };
        }
        if (settings.PublishStandard is { } title)
        {
            var text = settings.StandardText ?? (settings.StandardFile is { } path ? File.ReadAllText(path)
                : throw new UsageException("--publish-standard needs --standard-text or --standard-file"));
            yield return new PlatformAction
            {
                PublishStandard = new PublishStandardAction
                {
                    Title = title,
                    Version = settings.StandardVersion,
                    Text = text,
                    TextDigest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))),
                },
            };
        }
        foreach (var pair in settings.SetParameter)
        {
            var parts = pair.Split('=', 2);
            if (parts.Length != 2 || parts[0].Length == 0)
            {
                throw new UsageException($"--set-parameter: '{pair}' is not KEY=VALUE");
            }
            yield return new PlatformAction { SetParameter = new SetParameterAction { Key = parts[0], Value = ParameterValue(parts[1]) } };
        }
        if (settings.Signal)
        {
            yield return new PlatformAction { Signal = new SignalAction() };
        }
    }

    /// <summary>true/false is a bool, a whole number an int64, anything else text (the server checks the key's type).</summary>
    private static ParameterValue ParameterValue(string value) =>
        bool.TryParse(value, out var b) ? new ParameterValue { BoolValue = b }
        : long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? new ParameterValue { Int64Value = n }
        : new ParameterValue { StringValue = value };

    private static (string Id, string Reason) IdAndReason(string value)
    {
        var parts = value.Split(':', 2);
        return (parts[0], parts.Length > 1 ? parts[1] : "");
    }
}
