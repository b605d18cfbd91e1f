using Grpc.Core;
using Grpc.Net.Client;
using Perspective.Contracts.Gateway.V1;
using Perspective.Contracts.Ledger.V1;
using Perspective.Contracts.Platform.V1;
using Perspective.Contracts.Registry.V1;
using Perspective.Contracts.SubDao.V1;
using Perspective.Contracts.Treasury.V1;

namespace Perspective.Cli.Infrastructure;

/// <summary>
/// The generated gRPC clients over HTTP/2 channels to the profile's endpoints (plaintext locally), one channel per
/// service opened on first use, and the call options every call carries: the bearer token and a deadline.
/// </summary>
public sealed class Clients(ResolvedProfile profile) : IDisposable
{
    private readonly Dictionary<string, GrpcChannel> channels = [];
    private AssetDecimals? decimals;

    public ResolvedProfile Profile { get; } = profile;

    public LedgerService.LedgerServiceClient Ledger => new(Channel("ledger"));

    public ModelRegistryService.ModelRegistryServiceClient Registry => new(Channel("registry"));

    public UsageGatewayService.UsageGatewayServiceClient Gateway => new(Channel("gateway"));

    public SubDaoGovernanceService.SubDaoGovernanceServiceClient SubDao => new(Channel("subdao"));

    public PlatformGovernanceService.PlatformGovernanceServiceClient Platform => new(Channel("platform"));

    public TreasuryService.TreasuryServiceClient Treasury => new(Channel("treasury"));

    /// <summary>
    /// What human output needs to show amounts in whole units: the decimals of <paramref name="assets"/>, each asked of
    /// the Ledger once per command run.
    /// </summary>
    public Task<Money> MoneyAsync(CancellationToken ct, params IEnumerable<string> assets) =>
        (decimals ??= new AssetDecimals(this)).LoadAsync(assets, ct);

    /// <summary>Token and deadline for one call.</summary>
    public CallOptions Call(CancellationToken cancellationToken)
    {
        var headers = new Metadata();
        if (Profile.Token is { } token)
        {
            headers.Add("authorization", $"Bearer {token}");
        }
        return new CallOptions(headers, DateTime.UtcNow + Profile.Deadline, cancellationToken);
    }

    private GrpcChannel Channel(string service)
    {
        if (!channels.TryGetValue(service, out var channel))
        {
            var address = Profile.Endpoints[service];
            if (!Uri.TryCreate(address, UriKind.Absolute, out _))
            {
                throw new UsageException($"endpoint of {service} is not a URL: '{address}' (set {Endpoints.Variable(service)} or the profile)");
            }
            channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
            {
                // Fail fast on a closed port: an unreachable service is exit code 3, not a long wait.
                HttpHandler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5), EnableMultipleHttp2Connections = true },
            });
            channels[service] = channel;
        }
        return channel;
    }

    public void Dispose()
    {
        foreach (var channel in channels.Values)
        {
            channel.Dispose();
        }
    }
}
