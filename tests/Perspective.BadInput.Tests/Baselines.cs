using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Governance.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.ServiceDefaults.Auth;
using PlatformApi = Perspective.Contracts.Platform.V1;
using SubDaoApi = Perspective.Contracts.SubDao.V1;

namespace Perspective.BadInput.Tests;

/// <summary>A valid request and who sends it.</summary>
public sealed record Baseline(IMessage Request, Caller Caller);

/// <summary>
/// One valid request per mutating RPC, keyed by the RPC's full name ("package.Service/Method"). A factory may create what
/// the request refers to (a hold to post, a proposal to cancel) and is called again whenever a request was accepted, so
/// each call returns a request that is valid at that moment. A mutating RPC without an entry fails its test: a new RPC
/// needs a baseline here before it is covered.
/// </summary>
public static class Baselines
{
    private static readonly Caller Alice = new("alice");
    private static readonly Caller Provider = new("provider-1", Roles.Provider);
    private static readonly Caller Service = new("service:badinput", Roles.Service);

    private static string Tag() => Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

    public static readonly IReadOnlyDictionary<string, Func<World, Task<Baseline>>> Factories = new Dictionary<string, Func<World, Task<Baseline>>>
    {
        // ---------------------------------------------------------------- Ledger
        ["perspective.ledger.v1.LedgerService/CreateAsset"] = w => Task.FromResult(new Baseline(new CreateAssetRequest
        {
            RequestId = World.NewId(),
            Code = $"B{Tag()}",
            Name = "A bad-input asset",
            Decimals = 2,
            TotalSupply = 1_000,
            InitialHolderAccount = "alice",
        }, Service)),
        ["perspective.ledger.v1.LedgerService/Transfer"] = w => Task.FromResult(new Baseline(new TransferRequest
        {
            RequestId = World.NewId(),
            FromAccount = "alice",
            ToAccount = "bob",
            Asset = "POV",
            Amount = 10,
            Memo = "a valid transfer",
        }, Alice)),
        ["perspective.ledger.v1.LedgerService/TransferBatch"] = w => Task.FromResult(new Baseline(new TransferBatchRequest
        {
            RequestId = World.NewId(),
            Legs = { new TransferLeg { TransferId = World.NewId(), FromAccount = "alice", ToAccount = "bob", Asset = "POV", Amount = 5, Memo = "a valid leg" } },
        }, Alice)),
        ["perspective.ledger.v1.LedgerService/CreateHold"] = w => Task.FromResult(new Baseline(Hold(w), Alice)),
        ["perspective.ledger.v1.LedgerService/PostHold"] = async w => new Baseline(new PostHoldRequest
        {
            RequestId = World.NewId(),
            HoldId = await NewHoldAsync(w),
            Amount = 5,
        }, Alice),
        ["perspective.ledger.v1.LedgerService/VoidHold"] = async w => new Baseline(new VoidHoldRequest { RequestId = World.NewId(), HoldId = await NewHoldAsync(w) }, Alice),
        ["perspective.ledger.v1.LedgerService/Lock"] = w => Task.FromResult(new Baseline(new LockRequest
        {
            RequestId = World.NewId(),
            Account = "alice",
            Asset = "POV",
            Amount = 10,
            Until = World.Timestamp(w.Now.AddDays(1)),
            Memo = "a valid lock",
        }, Alice)),
        // A lock past its time and released: Unlock returns it unchanged (the only Unlock that can succeed on a frozen clock).
        ["perspective.ledger.v1.LedgerService/Unlock"] = w => Task.FromResult(new Baseline(new UnlockRequest { RequestId = World.NewId(), LockId = w.ReleasedLock }, Alice)),
        ["perspective.ledger.v1.LedgerService/CreateSwapOffer"] = w => Task.FromResult(new Baseline(Offer(w), Alice)),
        ["perspective.ledger.v1.LedgerService/AcceptSwapOffer"] = async w => new Baseline(new AcceptSwapOfferRequest
        {
            RequestId = World.NewId(),
            OfferId = await NewOfferAsync(w),
            TakerAccount = "dave",
        }, new Caller("dave")),
        ["perspective.ledger.v1.LedgerService/CancelSwapOffer"] = async w => new Baseline(new CancelSwapOfferRequest
        {
            RequestId = World.NewId(),
            OfferId = await NewOfferAsync(w),
        }, Alice),

        // ---------------------------------------------------------------- ModelRegistry
        ["perspective.registry.v1.ModelRegistryService/RegisterModel"] = w => Task.FromResult(new Baseline(Registration(), new Caller("mia"))),
        // A model of its own: an accepted variant may change the provider, and the seeded model's provider must stay provider-1.
        ["perspective.registry.v1.ModelRegistryService/UpdateModelMetadata"] = async w =>
        {
            var model = (await w.RegistryClient.RegisterModelAsync(Registration(), World.As("mia"), cancellationToken: World.Ct)).Model;
            return new Baseline(new UpdateModelMetadataRequest { RequestId = World.NewId(), ModelId = model.ModelId, Description = $"a new description {Tag()}" },
                new Caller("mia"));
        },
        ["perspective.registry.v1.ModelRegistryService/RetireModel"] = async w =>
        {
            var model = (await w.RegistryClient.RegisterModelAsync(Registration(), World.As("mia"), cancellationToken: World.Ct)).Model;
            return new Baseline(new RetireModelRequest { RequestId = World.NewId(), ModelId = model.ModelId, Reason = "no longer served" }, new Caller("mia"));
        },

        // ---------------------------------------------------------------- UsageGateway
        ["perspective.gateway.v1.UsageGatewayService/SetAllowance"] = w => Task.FromResult(new Baseline(new SetAllowanceRequest
        {
            RequestId = World.NewId(),
            ModelId = w.Model.ModelId,
            CapAmount = 5_000,
            ExpiresAt = World.Timestamp(w.Now.AddDays(30)),
        }, new Caller("gina"))),
        ["perspective.gateway.v1.UsageGatewayService/RevokeAllowance"] = async w =>
        {
            var payer = $"payer-{Tag().ToLowerInvariant()}";
            await w.GatewayClient.SetAllowanceAsync(new SetAllowanceRequest { RequestId = World.NewId(), ModelId = w.Model.ModelId, CapAmount = 100 },
                World.As(payer), cancellationToken: World.Ct);
            return new Baseline(new RevokeAllowanceRequest { RequestId = World.NewId(), ModelId = w.Model.ModelId }, new Caller(payer));
        },
        ["perspective.gateway.v1.UsageGatewayService/ChargeUsage"] = w => Task.FromResult(new Baseline(new ChargeUsageRequest
        {
            RequestId = World.NewId(),
            ModelId = w.Model.ModelId,
            PayerAccount = "alice",
            Units = 2,
        }, Provider)),
        ["perspective.gateway.v1.UsageGatewayService/AuthorizeUsage"] = w => Task.FromResult(new Baseline(Authorization(w), Provider)),
        ["perspective.gateway.v1.UsageGatewayService/SettleUsage"] = async w => new Baseline(new SettleUsageRequest
        {
            RequestId = World.NewId(),
            AuthorizationId = await NewAuthorizationAsync(w),
            UnitsUsed = 3,
        }, Provider),
        ["perspective.gateway.v1.UsageGatewayService/CancelUsage"] = async w => new Baseline(new CancelUsageRequest
        {
            RequestId = World.NewId(),
            AuthorizationId = await NewAuthorizationAsync(w),
            Reason = "the client went away",
        }, Provider),

        // ---------------------------------------------------------------- SubDaoGovernance
        ["perspective.subdao.v1.SubDaoGovernanceService/CreateProposal"] = w => Task.FromResult(new Baseline(SubDaoProposal(w), new Caller(w.NextSubDaoProposer()))),
        ["perspective.subdao.v1.SubDaoGovernanceService/CancelProposal"] = async w =>
        {
            var proposer = w.NextSubDaoProposer();
            var p = await w.SubDaoClient.CreateProposalAsync(SubDaoProposal(w), World.As(proposer), cancellationToken: World.Ct);
            return new Baseline(new SubDaoApi.CancelProposalRequest { RequestId = World.NewId(), ProposalId = p.Proposal.ProposalId, Reason = "changed my mind" },
                new Caller(proposer));
        },
        ["perspective.subdao.v1.SubDaoGovernanceService/CastVote"] = w => Task.FromResult(new Baseline(new SubDaoApi.CastVoteRequest
        {
            RequestId = World.NewId(),
            ProposalId = w.ActiveSubDaoProposal,
            Support = VoteSupport.For,
            Reason = "a valid vote",
        }, new Caller(w.NextSubDaoVoter()))),

        // ---------------------------------------------------------------- PlatformGovernance
        ["perspective.platform.v1.PlatformGovernanceService/CreateProposal"] = w => Task.FromResult(new Baseline(PlatformProposal(), new Caller(w.NextPlatformProposer()))),
        ["perspective.platform.v1.PlatformGovernanceService/CancelProposal"] = async w =>
        {
            var proposer = w.NextPlatformProposer();
            var p = await w.PlatformClient.CreateProposalAsync(PlatformProposal(), World.As(proposer), cancellationToken: World.Ct);
            return new Baseline(new PlatformApi.CancelProposalRequest { RequestId = World.NewId(), ProposalId = p.Proposal.ProposalId, Reason = "changed my mind" },
                new Caller(proposer));
        },
        ["perspective.platform.v1.PlatformGovernanceService/CastVote"] = w => Task.FromResult(new Baseline(new PlatformApi.CastVoteRequest
        {
            RequestId = World.NewId(),
            ProposalId = w.ActivePlatformProposal,
            Support = VoteSupport.Against,
            Reason = "a valid vote",
        }, new Caller(w.NextPlatformVoter()))),
    };

    private static CreateHoldRequest Hold(World w) => new()
    {
        RequestId = World.NewId(),
        FromAccount = "alice",
        ToAccount = "bob",
        Asset = "POV",
        Amount = 10,
        ExpiresAt = World.Timestamp(w.Now.AddDays(1)),
        Memo = "a valid hold",
    };

    private static async Task<string> NewHoldAsync(World w) =>
        (await w.LedgerClient.CreateHoldAsync(Hold(w), World.As("alice"), cancellationToken: World.Ct)).Hold.HoldId;

    private static CreateSwapOfferRequest Offer(World w) => new()
    {
        RequestId = World.NewId(),
        MakerAccount = "alice",
        GiveAsset = "POV",
        GiveAmount = 100,
        WantAsset = w.Model.Token.Symbol,
        WantAmount = 10,
        CounterpartyAccount = "dave",
        ExpiresAt = World.Timestamp(w.Now.AddDays(1)),
        Memo = "a valid offer",
    };

    private static async Task<string> NewOfferAsync(World w) =>
        (await w.LedgerClient.CreateSwapOfferAsync(Offer(w), World.As("alice"), cancellationToken: World.Ct)).Offer.OfferId;

    private static RegisterModelRequest Registration()
    {
        var tag = Tag();
        return new RegisterModelRequest
        {
            RequestId = World.NewId(),
            Name = $"Model {tag}",
            Description = "a valid model",
            ProviderAccount = "provider-1",
            Token = new TokenSpec { Symbol = $"M{tag}", Name = $"M{tag} token", Decimals = 0, TotalSupply = 1_000 },
            Price = new Price { AmountPerUnit = 10, Unit = UsageUnit.Request },
        };
    }

    private static AuthorizeUsageRequest Authorization(World w) => new()
    {
        RequestId = World.NewId(),
        ModelId = w.Model.ModelId,
        PayerAccount = "alice",
        MaxUnits = 10,
        TtlSeconds = 600,
    };

    private static async Task<string> NewAuthorizationAsync(World w) =>
        (await w.GatewayClient.AuthorizeUsageAsync(Authorization(w), World.As("provider-1", Roles.Provider), cancellationToken: World.Ct)).Authorization.AuthorizationId;

    private static SubDaoApi.CreateProposalRequest SubDaoProposal(World w) => new()
    {
        RequestId = World.NewId(),
        ModelId = w.Model.ModelId,
        Title = "A valid proposal",
        Description = "what and why",
        Actions =
        {
            new SubDaoApi.SubDaoAction { TreasurySpend = new SubDaoApi.TreasurySpendAction { RecipientAccount = "bob", Amount = 10, Purpose = "hosting" } },
            new SubDaoApi.SubDaoAction { SetUsageFee = new SubDaoApi.SetUsageFeeAction { AmountPerUnit = 30 } },
        },
    };

    private static PlatformApi.CreateProposalRequest PlatformProposal()
    {
        var text = $"standard text {Tag()}";
        return new PlatformApi.CreateProposalRequest
        {
            RequestId = World.NewId(),
            Title = "A valid proposal",
            Description = "what and why",
            Actions =
            {
                new PlatformApi.PlatformAction
                {
                    PublishStandard = new PlatformApi.PublishStandardAction
                    {
                        Title = $"Standard {Tag()}",
                        Version = "1.0",
                        Text = text,
                        TextDigest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))),
                    },
                },
            },
        };
    }
}
