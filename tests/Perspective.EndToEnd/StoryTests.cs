using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Platform.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Contracts.Treasury.V1;
using Perspective.Demo;
using Perspective.Ledger;
using Perspective.ModelRegistry;
using Perspective.PlatformGovernance;
using Perspective.ServiceDefaults.Auth;
using Perspective.SubDaoGovernance;
using Perspective.Testing;
using Perspective.Treasury;
using Perspective.UsageGateway;
using PlatformGet = Perspective.Contracts.Platform.V1.GetProposalRequest;
using SubDaoGet = Perspective.Contracts.SubDao.V1.GetProposalRequest;

namespace Perspective.EndToEnd;

/// <summary>
/// make demo's story (<see cref="DemoStory"/>) against the six services in-process: one PostgreSQL with six databases,
/// one RabbitMQ virtual host they share, one FakeTimeProvider they share, the Ledger's genesis from
/// deploy/local/genesis.json. Governance runs with realistic periods (an hour's delay, a day of voting, two hours of
/// timelock) that the story's clock skips. Then every balance, status, tally and event effect is checked by value,
/// with the numbers worked out here from the story's plan, not read back from it.
/// </summary>
public sealed class StoryTests(TestInfrastructure infrastructure) : IAsyncLifetime
{
    private const long Pov = 1_000_000;
    private const long Supply = 1_000_000;

    /// <summary>deploy/local/genesis.json, in base units.</summary>
    private const long AliceGenesis = 50_000_000 * Pov;
    private const long BobGenesis = 25_000_000 * Pov;
    private const long CarolGenesis = 15_000_000 * Pov;
    private const long Provider1Genesis = 10_000_000 * Pov;
    private const long ReserveGenesis = 900_000_000 * Pov;
    private const long PovSupply = AliceGenesis + BobGenesis + CarolGenesis + Provider1Genesis + ReserveGenesis;

    private static readonly Dictionary<string, string?> Governance = new()
    {
        ["Governance:Scheduler:IntervalMs"] = "100",
        ["Governance:{0}:VotingDelaySeconds"] = "3600",
        ["Governance:{0}:VotingPeriodSeconds"] = "86400",
        ["Governance:{0}:QuorumBps"] = "400",
        ["Governance:{0}:PassThresholdBps"] = "5000",
        ["Governance:{0}:ProposalThreshold"] = "1",
        ["Governance:{0}:ExecutionDelaySeconds"] = "7200",
        ["Governance:{0}:GracePeriodSeconds"] = "604800",
        ["Governance:{0}:LateQuorumExtensionSeconds"] = "0",
    };

    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private readonly List<ServiceUnderTest> started = [];
    private ServiceUnderTest ledgerHost = null!;
    private ServiceUnderTest registryHost = null!;
    private ServiceUnderTest gatewayHost = null!;
    private ServiceUnderTest subDaoHost = null!;
    private ServiceUnderTest platformHost = null!;
    private ServiceUnderTest treasuryHost = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Metadata Anyone => TestTokens.Bearer("e2e-reader", Roles.User);

    public async ValueTask InitializeAsync()
    {
        var broker = await infrastructure.RabbitMq.CreateVirtualHostAsync("e2e");
        ledgerHost = await StartAsync(LedgerHost.Build, "ledger", broker, GenesisSettings());
        var ledgerClient = new LedgerService.LedgerServiceClient(ledgerHost.Channel);
        await Eventually.WaitAsync(async () => (await ledgerClient.GetHeadAsync(new GetHeadRequest(), Anyone, cancellationToken: Ct)).Sequence,
            sequence => sequence >= 1, TimeSpan.FromSeconds(30), "genesis");
        registryHost = await StartAsync(ModelRegistryHost.Build, "registry", broker, new() { ["Services:Ledger"] = ledgerHost.Address });
        var rest = await Task.WhenAll(
            StartAsync(SubDaoGovernanceHost.Build, "subdao", broker, GovernanceSettings("DefaultSettings")),
            StartAsync(PlatformGovernanceHost.Build, "platform", broker, GovernanceSettings("DefaultSettings", "PlatformSettings")),
            StartAsync(TreasuryHost.Build, "treasury", broker, new()
            {
                ["Services:Ledger"] = ledgerHost.Address,
                ["Treasury:ExecutorPollIntervalMs"] = "100",
            }),
            StartAsync(UsageGatewayHost.Build, "gateway", broker, new()
            {
                ["Services:Ledger"] = ledgerHost.Address,
                ["Services:ModelRegistry"] = registryHost.Address,
            }));
        (subDaoHost, platformHost, treasuryHost, gatewayHost) = (rest[0], rest[1], rest[2], rest[3]);
    }

    private Dictionary<string, string?> GovernanceSettings(params string[] sections)
    {
        var settings = new Dictionary<string, string?> { ["Services:Ledger"] = ledgerHost.Address };
        foreach (var (key, value) in Governance)
        {
            foreach (var section in sections)
            {
                settings[string.Format(System.Globalization.CultureInfo.InvariantCulture, key, section)] = value;
            }
        }
        return settings;
    }

    private async Task<ServiceUnderTest> StartAsync(BuildService build, string name, string broker, Dictionary<string, string?> settings)
    {
        var service = await ServiceUnderTest.StartAsync(build, infrastructure, await infrastructure.CreateDatabaseAsync(name),
            builder => builder.Services.AddSingleton<TimeProvider>(clock), settings, broker);
        lock (started)
        {
            started.Add(service);
        }
        return service;
    }

    /// <summary>
    /// The local stack's genesis (deploy/local/genesis.json, found from the test's folder up) as Ledger:Genesis settings:
    /// the host reads Ledger:GenesisFile before a test's settings arrive, so the file is passed by content.
    /// </summary>
    private static Dictionary<string, string?> GenesisSettings()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var file = Path.Combine(dir.FullName, "deploy", "local", "genesis.json");
            if (File.Exists(file))
            {
                using var stream = File.OpenRead(file);
                return new ConfigurationBuilder().AddJsonStream(stream).Build().AsEnumerable()
                    .Where(pair => pair.Value is not null)
                    .ToDictionary(pair => pair.Key, pair => pair.Value);
            }
        }
        throw new FileNotFoundException("deploy/local/genesis.json above " + AppContext.BaseDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        // The callers first: the Ledger last.
        foreach (var service in started.Where(s => s != ledgerHost).Append(ledgerHost))
        {
            await service.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_demo_story_moves_every_balance_status_and_tally_as_planned_and_each_asset_sums_to_zero()
    {
        var storyClock = new FakeStoryClock(clock);
        var output = new RecordingStoryOutput();
        var endpoints = new DemoEndpoints(ledgerHost.Address, registryHost.Address, gatewayHost.Address, subDaoHost.Address, platformHost.Address,
            treasuryHost.Address, TestTokens.SigningKey);
        var watch = Stopwatch.StartNew();
        var result = await DemoStory.RunAsync(endpoints, storyClock, output, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"story: {watch.Elapsed.TotalSeconds:0.0} s, fake clock moved {storyClock.Advanced}");

        var cast = result.Cast;
        var ledger = new LedgerService.LedgerServiceClient(ledgerHost.Channel);
        var registry = new ModelRegistryService.ModelRegistryServiceClient(registryHost.Channel);
        var gateway = new UsageGatewayService.UsageGatewayServiceClient(gatewayHost.Channel);
        var subDao = new SubDaoGovernanceService.SubDaoGovernanceServiceClient(subDaoHost.Channel);
        var platform = new PlatformGovernanceService.PlatformGovernanceServiceClient(platformHost.Channel);
        var treasury = new TreasuryService.TreasuryServiceClient(treasuryHost.Channel);
        var token = cast.Symbol;
        var treasuryAccount = $"treasury:{result.ModelId}";
        Assert.Equal(treasuryAccount, result.TreasuryAccount);
        // Four governance rounds of an hour's delay, a day's voting and a two-hour timelock, skipped by the fake clock
        // (stored times are whole microseconds, so each step can be a microsecond short).
        Assert.InRange(storyClock.Advanced, 4 * TimeSpan.FromHours(1 + 24 + 2) - TimeSpan.FromMilliseconds(1), 4 * TimeSpan.FromHours(1 + 24 + 2));

        // ---- the plan, worked out here ----
        const long userFunding = 100 * Pov, buyerFunding = 300 * Pov, salePrice = 250 * Pov;
        const long firstCharge = 3 * (2 * Pov), secondCharge = 2 * (3 * Pov);
        const long spend = 4 * Pov, rewards = 5 * Pov;
        const long devTokens = Supply - 100_000 - 50_000 - 50_000; // 800,000: 200,000 of them locked
        // Rewards at the snapshot of the treasury proposal: 5 POV over 1,000,000 tokens = 5 base units per token, exact.
        const long devReward = devTokens * 5, dataAReward = 100_000 * 5, dataBReward = 50_000 * 5, buyerReward = 50_000 * 5;
        Assert.Equal(rewards, devReward + dataAReward + dataBReward + buyerReward);
        var expectedPov = new Dictionary<string, long>
        {
            ["alice"] = AliceGenesis - userFunding - buyerFunding,
            ["bob"] = BobGenesis,
            ["carol"] = CarolGenesis,
            ["provider-1"] = Provider1Genesis,
            ["platform:reserve"] = ReserveGenesis,
            [cast.User] = userFunding - firstCharge - secondCharge,
            [cast.Buyer] = buyerFunding - salePrice + buyerReward,
            [cast.Developer] = salePrice + devReward,
            [cast.DataProviderA] = dataAReward,
            [cast.DataProviderB] = spend + dataBReward,
            [treasuryAccount] = firstCharge + secondCharge - spend - rewards,
        };
        var expectedTokens = new Dictionary<string, long>
        {
            [cast.Buyer] = 50_000,
            [cast.DataProviderA] = 100_000,
            [cast.DataProviderB] = 50_000,
            [cast.Developer] = devTokens,
        };

        // ---- balances: every holder of both assets at the final sequence, nobody else ----
        Assert.Equal(expectedPov.OrderBy(p => p.Key, StringComparer.Ordinal).ToList(),
            (await HoldersAsync(ledger, "POV", result.FinalSequence)).Select(h => KeyValuePair.Create(h.Account, h.Balance)).ToList());
        Assert.Equal(expectedTokens.OrderBy(p => p.Key, StringComparer.Ordinal).ToList(),
            (await HoldersAsync(ledger, token, result.FinalSequence)).Select(h => KeyValuePair.Create(h.Account, h.Balance)).ToList());
        Assert.Equal(0, await TotalAsync(ledger, cast.Provider, "POV"));
        var dev = (await ledger.GetBalanceAsync(new GetBalanceRequest { Account = cast.Developer, Asset = token }, Anyone, cancellationToken: Ct)).Balance;
        Assert.Equal((devTokens, devTokens - 200_000, 200_000L, 0L), (dev.Total, dev.Available, dev.Locked, dev.Held));

        // ---- conservation: Σ per asset = 0, holders = supply, and the story reported the same ----
        foreach (var (asset, supply) in new[] { ("POV", PovSupply), (token, Supply) })
        {
            var holders = (await HoldersAsync(ledger, asset, result.FinalSequence)).Sum(h => h.Balance);
            var issuance = (await ledger.GetBalanceAtAsync(new GetBalanceAtRequest { Account = $"issuance:{asset}", Asset = asset, Sequence = result.FinalSequence },
                Anyone, cancellationToken: Ct)).Total;
            var supplyAt = (await ledger.GetSupplyAtAsync(new GetSupplyAtRequest { Asset = asset, Sequence = result.FinalSequence }, Anyone, cancellationToken: Ct)).Supply;
            Assert.Equal((supply, -supply, supply, 0L), (holders, issuance, supplyAt, holders + issuance));
            Assert.Contains(new AssetSum(asset, result.FinalSequence, supply, asset == "POV" ? expectedPov.Count : expectedTokens.Count, -supply, supply), result.Sums);
        }
        var verify = await ledger.VerifyJournalAsync(new VerifyJournalRequest { FromSequence = 1, ToSequence = result.FinalSequence }, Anyone, cancellationToken: Ct);
        Assert.True(verify.Valid);
        Assert.Equal(result.FinalSequence, verify.EntriesChecked);
        Assert.True(result.JournalValid);

        // ---- the asset, the lock and the sale ----
        var aiToken = (await ledger.GetAssetAsync(new GetAssetRequest { Code = token }, Anyone, cancellationToken: Ct)).Asset;
        Assert.Equal((Supply, 0, cast.Developer), (aiToken.TotalSupply, aiToken.Decimals, aiToken.InitialHolderAccount));
        var tokenLock = (await ledger.GetLockAsync(new GetLockRequest { LockId = result.LockId }, Anyone, cancellationToken: Ct)).Lock;
        Assert.Equal((cast.Developer, token, 200_000L, LockStatus.Active), (tokenLock.Account, tokenLock.Asset, tokenLock.Amount, tokenLock.Status));
        var offer = (await ledger.GetSwapOfferAsync(new GetSwapOfferRequest { OfferId = result.SwapOfferId }, Anyone, cancellationToken: Ct)).Offer;
        Assert.Equal((SwapOfferStatus.Accepted, cast.Developer, cast.Buyer, token, 50_000L, "POV", salePrice),
            (offer.Status, offer.MakerAccount, offer.TakerAccount, offer.GiveAsset, offer.GiveAmount, offer.WantAsset, offer.WantAmount));

        // ---- the model: price by the sub-DAO, ban by the platform DAO (registry history) ----
        var model = (await registry.GetModelAsync(new GetModelRequest { ModelId = result.ModelId }, Anyone, cancellationToken: Ct)).Model;
        Assert.Equal((ModelStatus.Banned, 3 * Pov, cast.Developer, cast.Provider), (model.Status, model.Price.AmountPerUnit, model.CreatorAccount, model.ProviderAccount));
        var history = (await registry.GetModelHistoryAsync(new GetModelHistoryRequest { ModelId = result.ModelId }, Anyone, cancellationToken: Ct)).Entries;
        Assert.Equal(
        [
            (ModelChangeKind.Registered, ModelChangeSource.Creator, ""),
            (ModelChangeKind.PriceChanged, ModelChangeSource.SubDao, result.FeeProposalId),
            (ModelChangeKind.StatusChanged, ModelChangeSource.PlatformDao, result.BanProposalId),
        ], history.OrderBy(e => e.Version).Select(e => (e.Kind, e.Source, e.ProposalId)).ToList());

        // ---- usage: two payments at the old and the new fee, the allowance, the refusal after the ban ----
        var payments = new List<Payment>();
        foreach (var id in result.PaymentIds)
        {
            payments.Add((await gateway.GetPaymentAsync(new GetPaymentRequest { PaymentId = id }, TestTokens.Bearer(cast.User, Roles.User), cancellationToken: Ct)).Payment);
        }
        Assert.Equal([(3L, 2 * Pov, firstCharge), (2L, 3 * Pov, secondCharge)], payments.Select(p => (p.Units, p.AmountPerUnit, p.Amount)).ToList());
        Assert.All(payments, p => Assert.Equal((cast.User, cast.Provider, treasuryAccount), (p.PayerAccount, p.ProviderAccount, p.TreasuryAccount)));
        var allowance = (await gateway.GetAllowanceAsync(new GetAllowanceRequest { PayerAccount = cast.User, ModelId = result.ModelId },
            TestTokens.Bearer(cast.User, Roles.User), cancellationToken: Ct)).Allowance;
        Assert.Equal((50 * Pov, firstCharge + secondCharge, 0L, 50 * Pov - firstCharge - secondCharge),
            (allowance.CapAmount, allowance.UsedAmount, allowance.ReservedAmount, allowance.RemainingAmount));
        Assert.Equal(StatusCode.FailedPrecondition, result.RefusedChargeStatus);
        Assert.Equal($"model {result.ModelId} is Banned, not Listed: it cannot be charged for", result.RefusedChargeMessage);
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await gateway.ChargeUsageAsync(new ChargeUsageRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            ModelId = result.ModelId,
            PayerAccount = cast.User,
            Units = 1,
        }, TestTokens.Bearer(cast.Provider, Roles.Provider), cancellationToken: Ct));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);

        // ---- sub-DAO votes: weights at the snapshot, quorum 4 % of the supply, both executed ----
        var fee = (await subDao.GetProposalAsync(new SubDaoGet { ProposalId = result.FeeProposalId }, Anyone, cancellationToken: Ct)).Proposal;
        Assert.Equal(ProposalState.Executed, fee.State);
        AssertTally(fee.Tally, forWeight: devTokens + 100_000, against: 50_000, abstain: 50_000, votes: 4, supply: Supply, quorum: 40_000);
        // The sub-DAO was made from ModelRegistered with the configured defaults, frozen into the proposal.
        Assert.Equal((3600L, 86_400L, 400, 5000, 1L, 7200L, 604_800L, 0L),
            (fee.Settings.VotingDelaySeconds, fee.Settings.VotingPeriodSeconds, fee.Settings.QuorumBps, fee.Settings.PassThresholdBps,
                fee.Settings.ProposalThreshold, fee.Settings.ExecutionDelaySeconds, fee.Settings.GracePeriodSeconds, fee.Settings.LateQuorumExtensionSeconds));
        Assert.Equal((TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.FromHours(2)),
            (fee.Timeline.VotingStartsAt.ToDateTimeOffset() - fee.Timeline.CreatedAt.ToDateTimeOffset(),
                fee.Timeline.VotingEndsAt.ToDateTimeOffset() - fee.Timeline.VotingStartsAt.ToDateTimeOffset(),
                fee.Timeline.ExecutableAt.ToDateTimeOffset() - fee.Timeline.VotingEndsAt.ToDateTimeOffset()));
        var treasuryVote = (await subDao.GetProposalAsync(new SubDaoGet { ProposalId = result.TreasuryProposalId }, Anyone, cancellationToken: Ct)).Proposal;
        Assert.Equal((ProposalState.Executed, cast.DataProviderA), (treasuryVote.State, treasuryVote.ProposerAccount));
        AssertTally(treasuryVote.Tally, forWeight: devTokens + 100_000, against: 0, abstain: 0, votes: 2, supply: Supply, quorum: 40_000);
        // The ban reached the sub-DAO service (ModelStatusChanged): it takes no more proposals.
        await Eventually.WaitAsync(async () => (await subDao.GetDaoAsync(new Perspective.Contracts.SubDao.V1.GetDaoRequest { ModelId = result.ModelId }, Anyone, cancellationToken: Ct)).Dao,
            dao => !dao.AcceptingProposals, TimeSpan.FromSeconds(20), "the sub-DAO closed by the ban");

        // ---- the treasury: revenue from both payments, the payout, the distribution line by line ----
        var state = (await treasury.GetTreasuryAsync(new Perspective.Contracts.Treasury.V1.GetTreasuryRequest { ModelId = result.ModelId }, Anyone, cancellationToken: Ct)).Treasury;
        Assert.Equal((firstCharge + secondCharge, 2L, spend, rewards, 0L, firstCharge + secondCharge - spend - rewards),
            (state.LifetimeRevenue, state.PaymentCount, state.PaidOut, state.Distributed, state.Pending, state.Balance));
        var payout = Assert.Single((await treasury.ListPayoutsAsync(new ListPayoutsRequest { ModelId = result.ModelId }, Anyone, cancellationToken: Ct)).Payouts);
        Assert.Equal((result.TreasuryProposalId, cast.DataProviderB, spend, PayoutStatus.Paid, "dataset licence"),
            (payout.ProposalId, payout.RecipientAccount, payout.Amount, payout.Status, payout.Purpose));
        var payoutTransfer = (await ledger.GetTransferAsync(new GetTransferRequest { TransferId = payout.LedgerTransferId }, Anyone, cancellationToken: Ct)).Transfer;
        Assert.Equal((treasuryAccount, cast.DataProviderB, "POV", spend, payout.LedgerSequence),
            (payoutTransfer.FromAccount, payoutTransfer.ToAccount, payoutTransfer.Asset, payoutTransfer.Amount, payoutTransfer.Receipt.Sequence));
        var distribution = Assert.Single((await treasury.ListDistributionsAsync(new ListDistributionsRequest { ModelId = result.ModelId }, Anyone, cancellationToken: Ct)).Distributions);
        Assert.Equal((result.TreasuryProposalId, rewards, token, treasuryVote.SnapshotSequence, Supply, DistributionStatus.Completed, 4L, 4L, rewards),
            (distribution.ProposalId, distribution.Amount, distribution.TokenAsset, distribution.SnapshotSequence, distribution.SupplyHeld, distribution.Status,
                distribution.LineCount, distribution.LinesPaid, distribution.AmountPaid));
        var expectedLines = new (string Holder, long Balance, long Share)[]
        {
            (cast.Buyer, 50_000, buyerReward), (cast.DataProviderA, 100_000, dataAReward), (cast.DataProviderB, 50_000, dataBReward), (cast.Developer, devTokens, devReward),
        };
        var lines = (await treasury.ListDistributionLinesAsync(new ListDistributionLinesRequest { DistributionId = distribution.DistributionId }, Anyone, cancellationToken: Ct)).Lines;
        Assert.Equal(expectedLines.ToList(), lines.Select(l => (l.HolderAccount, l.HolderBalance, l.Share)).ToList());
        Assert.All(lines, l => Assert.True(l.Paid && !l.RemainderUnit));
        var digestInput = string.Concat(expectedLines.Select(l => $"{l.Holder}\t{l.Balance}\t{l.Share}\n"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(digestInput))), distribution.LinesDigest);
        var reconcile = await treasury.ReconcileTreasuryAsync(new ReconcileTreasuryRequest { ModelId = result.ModelId }, TestTokens.Bearer(cast.Developer, Roles.User),
            cancellationToken: Ct);
        Assert.Equal((true, firstCharge + secondCharge, firstCharge + secondCharge, 0L), (reconcile.Matched, reconcile.TreasuryRevenue, reconcile.LedgerRevenue, reconcile.Difference));

        // ---- platform votes: alice (after her two transfers) and bob for, carol against the ban ----
        var standardVote = (await platform.GetProposalAsync(new PlatformGet { ProposalId = result.StandardProposalId }, Anyone, cancellationToken: Ct)).Proposal;
        Assert.Equal(ProposalState.Executed, standardVote.State);
        AssertTally(standardVote.Tally, forWeight: AliceGenesis - userFunding - buyerFunding + BobGenesis, against: 0, abstain: 0, votes: 2, supply: PovSupply,
            quorum: PovSupply / 25);
        var banVote = (await platform.GetProposalAsync(new PlatformGet { ProposalId = result.BanProposalId }, Anyone, cancellationToken: Ct)).Proposal;
        Assert.Equal(ProposalState.Executed, banVote.State);
        AssertTally(banVote.Tally, forWeight: AliceGenesis - userFunding - buyerFunding + BobGenesis, against: CarolGenesis, abstain: 0, votes: 3, supply: PovSupply,
            quorum: PovSupply / 25);
        var standard = (await platform.GetStandardAsync(new GetStandardRequest { StandardId = result.StandardId }, Anyone, cancellationToken: Ct)).Standard;
        Assert.Equal((DemoStory.StandardTitle, cast.StandardVersion, result.StandardProposalId), (standard.Title, standard.Version, standard.ProposalId));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(standard.Text))), standard.TextDigest);
        var quote = await gateway.GetModelQuoteAsync(new GetModelQuoteRequest { ModelId = result.ModelId, Units = 1 }, TestTokens.Bearer(cast.Provider, Roles.Provider),
            cancellationToken: Ct);
        Assert.Equal((ModelStatus.Banned, 3 * Pov), (quote.Status, quote.AmountPerUnit));
    }

    private static void AssertTally(Tally tally, long forWeight, long against, long abstain, long votes, long supply, long quorum)
    {
        Assert.Equal((forWeight, against, abstain, votes, supply, quorum, true, true, TallyOutcome.Passed, true),
            (tally.ForWeight, tally.AgainstWeight, tally.AbstainWeight, tally.VoteCount, tally.SupplyAtSnapshot, tally.QuorumWeight, tally.QuorumReached,
                tally.ThresholdReached, tally.Outcome, tally.Final));
    }

    private static async Task<long> TotalAsync(LedgerService.LedgerServiceClient ledger, string account, string asset) =>
        (await ledger.GetBalanceAsync(new GetBalanceRequest { Account = account, Asset = asset }, Anyone, cancellationToken: Ct)).Balance.Total;

    private static async Task<List<Holder>> HoldersAsync(LedgerService.LedgerServiceClient ledger, string asset, long sequence)
    {
        var holders = new List<Holder>();
        var page = "";
        do
        {
            var response = await ledger.ListHoldersAsync(new ListHoldersRequest { Asset = asset, Sequence = sequence, PageSize = 2, PageToken = page }, Anyone,
                cancellationToken: Ct);
            holders.AddRange(response.Holders);
            page = response.NextPageToken;
        }
        while (page.Length > 0);
        return holders;
    }
}
