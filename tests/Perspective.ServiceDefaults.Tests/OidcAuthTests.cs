using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Clients;
using Perspective.ServiceDefaults.Tests.Oidc;
using Perspective.ServiceDefaults.Tests.Probe;
using Perspective.Testing;

namespace Perspective.ServiceDefaults.Tests;

/// <summary>The probe with an OIDC authority and a signing key, as in a cluster: users from the authority, services with the key.</summary>
public sealed class OidcAndServiceTokenTests(TestInfrastructure infrastructure) : OidcProbeTestBase(infrastructure)
{
    protected override bool WithSigningKey => true;

    [Fact]
    public async Task A_token_from_the_authority_is_accepted_with_its_roles()
    {
        var me = await WhoamiAsync(Authority.CreateToken("alice", [Roles.User, Roles.Provider]));

        Assert.Equal("alice", me.Account);
        Assert.Equal(["provider", "user"], me.Roles);
    }

    [Fact]
    public async Task The_service_token_this_service_signs_is_accepted()
    {
        var serviceToken = new ServiceTokenSource(Probe.Services.GetRequiredService<IOptions<AuthOptions>>(), ProbeHost.Service).Token;

        var me = await WhoamiAsync(serviceToken);

        Assert.Equal("service:probe", me.Account);
        Assert.Equal(["service"], me.Roles);
        await Client.ServiceOnlyAsync(new ServiceOnlyRequest(), TestTokens.BearerToken(serviceToken), cancellationToken: TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Role_rules_hold_alike_for_tokens_from_the_authority_and_service_tokens()
    {
        var user = TestTokens.BearerToken(Authority.CreateToken("alice", [Roles.User]));
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.ServiceOnlyAsync(new ServiceOnlyRequest(), user, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);

        error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.ActForAccountAsync(new ActForAccountRequest { Account = "bob" }, user, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        await Client.ActForAccountAsync(new ActForAccountRequest { Account = "alice" }, user, cancellationToken: TestContext.Current.CancellationToken);
        await Client.ActForAccountAsync(new ActForAccountRequest { Account = "bob" }, TestTokens.Bearer("service:treasury", Roles.Service),
            cancellationToken: TestContext.Current.CancellationToken);

        // A valid token from the authority with no role the platform knows is refused by the fallback policy.
        error = await Assert.ThrowsAsync<RpcException>(() => WhoamiAsync(Authority.CreateToken("mallory", ["guest"])));
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Fact]
    public async Task An_HS256_token_signed_with_another_key_is_unauthenticated()
    {
        var forged = TestTokens.Create("service:ledger", [Roles.Service], signingKey: "another-signing-key-of-at-least-32-bytes-0123456789");

        await AssertUnauthenticatedAsync(forged);
    }

    [Fact]
    public async Task An_RS256_token_signed_by_another_RSA_key_is_unauthenticated()
    {
        using var other = RSA.Create(2048);
        var forged = Authority.CreateToken("alice", [Roles.User], signingKey: new RsaSecurityKey(other) { KeyId = TestAuthority.KeyId });

        await AssertUnauthenticatedAsync(forged);
    }

    [Fact]
    public async Task A_token_signed_by_the_authority_must_carry_the_authoritys_issuer_not_the_service_tokens_issuer()
    {
        await AssertUnauthenticatedAsync(Authority.CreateToken("alice", [Roles.User], issuer: "perspective"));
    }

    [Fact]
    public async Task A_token_of_the_authority_whose_header_claims_HS256_is_unauthenticated()
    {
        var token = Authority.CreateToken("alice", [Roles.User]);
        var hs256Header = $$"""{"alg":"HS256","kid":"{{TestAuthority.KeyId}}","typ":"JWT"}""";

        // The RSA signature kept under a header claiming HS256: it goes to the HMAC key, which it does not match.
        await AssertUnauthenticatedAsync(TestAuthority.WithHeader(token, hs256Header));
        // The classic key confusion: HMAC under the authority's public key, which anyone can fetch.
        await AssertUnauthenticatedAsync(TestAuthority.SignedWithHmac(token, hs256Header, Encoding.ASCII.GetBytes(Authority.PublicKeyPem)));
    }

    [Fact]
    public async Task A_token_signed_with_the_HMAC_key_whose_header_claims_RS256_or_none_is_unauthenticated()
    {
        var serviceToken = TestTokens.Create("service:ledger", [Roles.Service]);

        await AssertUnauthenticatedAsync(TestAuthority.WithHeader(serviceToken, """{"alg":"RS256","typ":"JWT"}"""));
        await AssertUnauthenticatedAsync(TestAuthority.SignedWithHmac(serviceToken, """{"alg":"RS256","typ":"JWT"}""", Encoding.UTF8.GetBytes(TestTokens.SigningKey)));
        var unsigned = TestAuthority.WithHeader(serviceToken, """{"alg":"none","typ":"JWT"}""");
        await AssertUnauthenticatedAsync(unsigned[..(unsigned.LastIndexOf('.') + 1)]);
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    [InlineData("e30.e30.")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln")]
    public async Task A_malformed_token_is_unauthenticated(string token)
    {
        await AssertUnauthenticatedAsync(token);
    }
}

/// <summary>The probe with an OIDC authority alone: users' tokens are accepted, HS256 tokens are not, and it cannot sign its own.</summary>
public sealed class OidcOnlyTests(TestInfrastructure infrastructure) : OidcProbeTestBase(infrastructure)
{
    protected override bool WithSigningKey => false;

    [Fact]
    public async Task A_token_from_the_authority_is_accepted_with_its_roles()
    {
        var me = await WhoamiAsync(Authority.CreateToken("alice", [Roles.User]));

        Assert.Equal("alice", me.Account);
        Assert.Equal(["user"], me.Roles);
    }

    [Fact]
    public async Task An_HS256_token_is_unauthenticated_whatever_its_key()
    {
        await AssertUnauthenticatedAsync(TestTokens.Create("service:ledger", [Roles.Service]));
    }

    [Fact]
    public void Without_a_signing_key_the_service_cannot_sign_a_token_for_another_service_and_says_why()
    {
        var source = new ServiceTokenSource(Probe.Services.GetRequiredService<IOptions<AuthOptions>>(), ProbeHost.Service);

        var error = Assert.Throws<InvalidOperationException>(() => source.Token);

        Assert.Contains("Auth:SigningKey is required for calls to other services", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>Starts a <see cref="TestAuthority"/>, then the probe configured with it (and the test signing key or none).</summary>
public abstract class OidcProbeTestBase(TestInfrastructure infrastructure) : ProbeTestBase(infrastructure)
{
    private TestAuthority? authority;

    protected TestAuthority Authority => authority ?? throw new InvalidOperationException("not started");

    protected abstract bool WithSigningKey { get; }

    public override async ValueTask InitializeAsync()
    {
        authority = await TestAuthority.StartAsync(TestContext.Current.CancellationToken);
        await base.InitializeAsync();
    }

    protected override void Configure(WebApplicationBuilder builder)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:Authority"] = Authority.Issuer,
            // The test authority serves plain HTTP on loopback.
            ["Auth:RequireHttpsMetadata"] = "false",
        };
        if (!WithSigningKey)
        {
            settings["Auth:SigningKey"] = "";
        }
        builder.Configuration.AddInMemoryCollection(settings);
    }

    protected async Task<WhoamiResponse> WhoamiAsync(string token) =>
        await Client.WhoamiAsync(new WhoamiRequest(), TestTokens.BearerToken(token), cancellationToken: TestContext.Current.CancellationToken);

    protected async Task AssertUnauthenticatedAsync(string token)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => WhoamiAsync(token));
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (authority is not null)
        {
            await authority.DisposeAsync();
        }
    }
}
