using Dapper;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Perspective.ServiceDefaults.Auth;
using Perspective.ServiceDefaults.Data;
using Perspective.ServiceDefaults.Errors;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Perspective.Testing;

/// <summary>
/// What every Perspective service promises, proven once per service through its real gRPC endpoint:
/// health, reflection, authentication and roles, error mapping, and migrations that replicas can run together.
/// A service's test project derives from this class and names its host and API.
/// </summary>
public abstract class ServiceConventionTests(TestInfrastructure infrastructure) : IAsyncLifetime
{
    private ServiceUnderTest? service;

    protected TestInfrastructure Infrastructure { get; } = infrastructure;

    /// <summary>The service's <c>…Host.Build</c>.</summary>
    protected abstract BuildService Build { get; }

    /// <summary>The service's gRPC API, from the generated contracts.</summary>
    protected abstract ServiceDescriptor Api { get; }

    /// <summary>The short service name, used for the test database.</summary>
    protected abstract string Name { get; }

    /// <summary>Whether every replica is ready at once; false for a service with one active writer and standbys (the Ledger).</summary>
    protected virtual bool ReplicasAreAllReady => true;

    protected ServiceUnderTest Service => service ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        var database = await Infrastructure.CreateDatabaseAsync(Name);
        service = await ServiceUnderTest.StartAsync(Build, Infrastructure, database);
    }

    public async ValueTask DisposeAsync()
    {
        if (service is not null)
        {
            await service.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Health_reports_serving_for_readiness_liveness_and_the_broker()
    {
        var health = new Health.HealthClient(Service.Channel);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await WaitForServingAsync(health, ""));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await WaitForServingAsync(health, "liveness"));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await WaitForServingAsync(health, "broker"));
    }

    [Fact]
    public async Task Reflection_lists_the_api_health_and_reflection_services()
    {
        var reflection = new ServerReflection.ServerReflectionClient(Service.Channel);
        using var call = reflection.ServerReflectionInfo(cancellationToken: TestContext.Current.CancellationToken);
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" }, TestContext.Current.CancellationToken);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();

        Assert.Contains(Api.FullName, names);
        Assert.Contains("grpc.health.v1.Health", names);
    }

    [Fact]
    public async Task Every_rpc_without_a_token_is_unauthenticated()
    {
        foreach (var method in UnaryMethods())
        {
            var error = await CallAsync(method, new Metadata());
            Assert.True(error.StatusCode == StatusCode.Unauthenticated, $"{method.Name}: {error.StatusCode} {error.Status.Detail}");
        }
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_unauthenticated()
    {
        var forged = TestTokens.Create("mallory", [Roles.Admin], signingKey: "another-key-of-at-least-thirty-two-bytes-length");

        var error = await CallAsync(UnaryMethods().First(), TestTokens.BearerToken(forged));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_unauthenticated()
    {
        var expired = TestTokens.Create("alice", [Roles.User], expires: DateTime.UtcNow.AddMinutes(-5));

        var error = await CallAsync(UnaryMethods().First(), TestTokens.BearerToken(expired));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task A_token_without_a_known_role_is_permission_denied()
    {
        foreach (var method in UnaryMethods())
        {
            var error = await CallAsync(method, TestTokens.Bearer("alice", "guest"));
            Assert.True(error.StatusCode == StatusCode.PermissionDenied, $"{method.Name}: {error.StatusCode} {error.Status.Detail}");
        }
    }

    [Fact]
    public async Task An_empty_request_with_a_valid_token_is_answered_or_refused_cleanly_never_internal()
    {
        foreach (var method in UnaryMethods())
        {
            var error = await CallAsync(method, TestTokens.Bearer("alice", [.. Roles.All]));
            Assert.True(
                error.StatusCode is not (StatusCode.Internal or StatusCode.Unknown or StatusCode.Unauthenticated or StatusCode.Unavailable),
                $"{method.Name}: {error.StatusCode} {error.Status.Detail}");
        }
    }

    [Fact]
    public void Unexpected_exceptions_go_through_the_error_interceptor()
    {
        var grpc = Service.Services.GetRequiredService<IOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>>().Value;

        Assert.Contains(grpc.Interceptors, interceptor => interceptor.Type == typeof(ErrorInterceptor));
        Assert.False(grpc.EnableDetailedErrors);
    }

    [Fact]
    public async Task Two_replicas_starting_together_migrate_once_and_a_third_start_applies_nothing()
    {
        var database = await Infrastructure.CreateDatabaseAsync($"{Name}_migrate");

        var replicas = await Task.WhenAll(
            ServiceUnderTest.StartAsync(Build, Infrastructure, database, waitUntilReady: false),
            ServiceUnderTest.StartAsync(Build, Infrastructure, database, waitUntilReady: false));
        try
        {
            var healths = replicas.Select(replica => new Health.HealthClient(replica.Channel)).ToList();
            foreach (var health in healths)
            {
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await WaitForServingAsync(health, "liveness"));
            }
            var expectedReady = ReplicasAreAllReady ? 2 : 1;
            var ready = await Eventually.WaitAsync(async () =>
            {
                var count = 0;
                foreach (var health in healths)
                {
                    var status = (await health.CheckAsync(new HealthCheckRequest(), cancellationToken: TestContext.Current.CancellationToken)).Status;
                    count += status == HealthCheckResponse.Types.ServingStatus.Serving ? 1 : 0;
                }
                return count;
            }, count => count >= expectedReady, TimeSpan.FromSeconds(30), "replicas becoming ready");
            Assert.Equal(expectedReady, ready);
            await using var connection = new NpgsqlConnection(database);
            var applied = (await connection.QueryAsync<string>("select id from schema_migrations order by id")).ToList();
            var expected = Migrator.Scripts(replicas[0].Services.GetRequiredService<Perspective.ServiceDefaults.ServiceInfo>())
                .Select(s => s.Id).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, applied);
            Assert.Contains("shared/0001_outbox_inbox", applied);

            await using var third = await ServiceUnderTest.StartAsync(Build, Infrastructure, database, waitUntilReady: ReplicasAreAllReady);
            var appliedAgain = await third.Services.GetRequiredService<Migrator>().MigrateAsync(TestContext.Current.CancellationToken);

            Assert.Empty(appliedAgain);
            Assert.Equal(applied.Count, await connection.ExecuteScalarAsync<int>("select count(*) from schema_migrations"));
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    private IEnumerable<MethodDescriptor> UnaryMethods() =>
        Api.Methods.Where(m => !m.IsClientStreaming && !m.IsServerStreaming);

    /// <summary>Calls <paramref name="method"/> with an empty request and returns the error it answers.</summary>
    private async Task<RpcException> CallAsync(MethodDescriptor method, Metadata headers)
    {
        var raw = new Method<byte[], byte[]>(MethodType.Unary, Api.FullName, method.Name,
            Marshallers.Create(bytes => bytes, bytes => bytes), Marshallers.Create(bytes => bytes, bytes => bytes));
        var call = Service.Channel.CreateCallInvoker().AsyncUnaryCall(raw, null,
            new CallOptions(headers, DateTime.UtcNow.AddSeconds(30), TestContext.Current.CancellationToken), []);
        try
        {
            await call.ResponseAsync;
        }
        catch (RpcException error)
        {
            return error;
        }
        return new RpcException(new Status(StatusCode.OK, "the call succeeded"));
    }

    /// <summary>The bus connects a moment after start; ask until SERVING or 30 s have passed, and return the last answer.</summary>
    protected static async Task<HealthCheckResponse.Types.ServingStatus> WaitForServingAsync(Health.HealthClient health, string serviceName)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var status = (await health.CheckAsync(new HealthCheckRequest { Service = serviceName }, cancellationToken: TestContext.Current.CancellationToken)).Status;
            if (status == HealthCheckResponse.Types.ServingStatus.Serving || DateTime.UtcNow > deadline)
            {
                return status;
            }
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
