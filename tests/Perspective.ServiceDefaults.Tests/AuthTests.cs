using System.Security.Claims;
using System.Security.Cryptography;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Tests.Probe;
using Perspective.Testing;

namespace Perspective.ServiceDefaults.Tests;

public sealed class AuthTests(TestInfrastructure infrastructure) : ProbeTestBase(infrastructure)
{
    [Fact]
    public async Task The_caller_is_the_token_subject_with_its_roles()
    {
        var me = await Client.WhoamiAsync(new WhoamiRequest(), TestTokens.Bearer("alice", Roles.User, Roles.Provider),
            cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("alice", me.Account);
        Assert.Equal(["provider", "user"], me.Roles);
    }

    [Fact]
    public async Task A_call_without_a_token_is_unauthenticated()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.WhoamiAsync(new WhoamiRequest(), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task A_token_without_a_subject_is_unauthenticated()
    {
        var anonymous = TestTokens.Create("", [Roles.User]);

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.WhoamiAsync(new WhoamiRequest(), TestTokens.BearerToken(anonymous), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task A_role_rule_on_an_endpoint_refuses_other_roles_and_admits_its_own()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.ServiceOnlyAsync(new ServiceOnlyRequest(), TestTokens.Bearer("alice", Roles.User),
                cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);

        await Client.ServiceOnlyAsync(new ServiceOnlyRequest(), TestTokens.Bearer("treasury", Roles.Service),
            cancellationToken: TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_caller_may_not_act_for_another_account_unless_it_is_a_service()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.ActForAccountAsync(new ActForAccountRequest { Account = "bob" }, TestTokens.Bearer("alice", Roles.User),
                cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal("caller alice may not act for account bob", error.Status.Detail);

        await Client.ActForAccountAsync(new ActForAccountRequest { Account = "alice" }, TestTokens.Bearer("alice", Roles.User),
            cancellationToken: TestContext.Current.CancellationToken);
        await Client.ActForAccountAsync(new ActForAccountRequest { Account = "bob" }, TestTokens.Bearer("treasury", Roles.Service),
            cancellationToken: TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task With_only_the_signing_key_a_token_signed_by_an_RSA_key_is_unauthenticated()
    {
        using var rsa = RSA.Create(2048);
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity([new Claim("sub", "alice"), new Claim("role", Roles.User)]),
            Issuer = "perspective",
            Audience = "perspective",
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256),
        });

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.WhoamiAsync(new WhoamiRequest(), TestTokens.BearerToken(token), cancellationToken: TestContext.Current.CancellationToken).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Theory]
    [InlineData("Production", "https://login.example.com/realms/perspective", AuthOptions.DevelopmentSigningKey, null, "published development key; refusing to start in Production")]
    [InlineData("Production", "https://login.example.com/realms/perspective", "too-short", null, "at least 32 bytes")]
    [InlineData("Production", "http://login.example.com/realms/perspective", null, null, "Auth:Authority must use https")]
    [InlineData("Testing", "http://127.0.0.1:1", AuthOptions.DevelopmentSigningKey, "true", "Auth:Authority must use https")]
    [InlineData("Production", "login.example.com", null, null, "Auth:Authority must be an absolute https URL")]
    public async Task A_service_with_an_authority_refuses_to_start_with_a_bad_key_or_an_authority_it_cannot_trust(
        string environment, string authority, string? key, string? requireHttpsMetadata, string expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Grpc:Url"] = "http://127.0.0.1:0",
            ["Auth:Authority"] = authority,
            ["ConnectionStrings:Database"] = "Host=127.0.0.1;Port=1;Database=unused",
            ["ConnectionStrings:RabbitMq"] = "amqp://guest:guest@127.0.0.1:1/",
        };
        if (key is not null)
        {
            settings["Auth:SigningKey"] = key;
        }
        if (requireHttpsMetadata is not null)
        {
            settings["Auth:RequireHttpsMetadata"] = requireHttpsMetadata;
        }
        await using var app = ProbeHost.Build(["--environment", environment], builder => builder.Configuration.AddInMemoryCollection(settings));

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Production", AuthOptions.DevelopmentSigningKey, "published development key; refusing to start in Production")]
    [InlineData("Staging", AuthOptions.DevelopmentSigningKey, "published development key; refusing to start in Staging")]
    [InlineData("Production", "too-short", "at least 32 bytes")]
    [InlineData("Production", "", "Auth:Authority")]
    public async Task Outside_development_a_service_refuses_to_start_with_the_development_key_or_a_weak_one(
        string environment, string key, string expected)
    {
        await using var app = ProbeHost.Build(["--environment", environment], builder =>
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Kestrel:Endpoints:Grpc:Url"] = "http://127.0.0.1:0",
                ["Auth:SigningKey"] = key,
                ["ConnectionStrings:Database"] = "Host=127.0.0.1;Port=1;Database=unused",
                ["ConnectionStrings:RabbitMq"] = "amqp://guest:guest@127.0.0.1:1/",
            }));

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
