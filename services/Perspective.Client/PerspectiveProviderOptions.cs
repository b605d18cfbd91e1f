namespace Perspective.Client;

/// <summary>How a <see cref="PerspectiveProviderClient"/> reaches the gateway, authenticates and retries.</summary>
public sealed class PerspectiveProviderOptions
{
    /// <summary>The UsageGateway's gRPC address, for example <c>https://gateway.perspective.example</c> or <c>http://127.0.0.1:5103</c>.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>A fixed bearer token (role <c>provider</c>). Ignored when <see cref="TokenProvider"/> is set.</summary>
    public string? Token { get; set; }

    /// <summary>Returns the bearer token; asked before every attempt, so a renewed token is picked up at once. Cache in it if minting is costly.</summary>
    public Func<CancellationToken, ValueTask<string>>? TokenProvider { get; set; }

    /// <summary>Deadline of each attempt (not of the whole call with its retries; bound that with the cancellation token). Default 10 s.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries after the first attempt, at most (0 = never retry). Default 3.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Wait before the first retry; doubled for each further one, with jitter, up to <see cref="MaxRetryBackoff"/>. Default 100 ms.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest wait between two attempts after a transient failure. Default 2 s.</summary>
    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Retry an attempt that ran out of its <see cref="Deadline"/>. Default true: every mutating call carries a request id,
    /// and the gateway answers a repeated request id with the first result, so a retry never charges twice; it is the way
    /// to learn whether the timed-out attempt went through.
    /// </summary>
    public bool RetryOnDeadlineExceeded { get; set; } = true;

    /// <summary>
    /// On <c>RESOURCE_EXHAUSTED</c> (the gateway's per-provider rate limit) wait the <c>retry-after-ms</c> the gateway
    /// sends and retry, when it is at most <see cref="MaxRetryAfter"/>. Default true. Without it, or with a longer wait,
    /// the call fails with <see cref="PerspectiveException.RetryAfter"/> set.
    /// </summary>
    public bool RetryOnRateLimit { get; set; } = true;

    /// <summary>Longest <c>retry-after-ms</c> the client waits out by itself. Default 5 s.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Send the token over a cleartext <c>http://</c> endpoint too (a local stack). Default true for <c>http://</c> on a
    /// loopback address only; set it explicitly for another cleartext endpoint inside a trusted network.
    /// </summary>
    public bool? AllowTokenOverCleartext { get; set; }

    /// <summary>
    /// The HTTP handler of the channel the client creates itself (a proxy, a test's fault injector). Not used with
    /// <c>AddPerspectiveProvider</c>: there, configure the <see cref="Microsoft.Extensions.DependencyInjection.IHttpClientBuilder"/> it returns.
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>The clock of the waits between attempts (a test's fake clock). Deadlines always use the real clock, as gRPC does.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws when the options cannot work; names the option.</summary>
    public void Validate(bool needsEndpoint = true)
    {
        if (needsEndpoint && Endpoint is null)
        {
            throw new InvalidOperationException("PerspectiveProviderOptions.Endpoint is required (the UsageGateway address).");
        }
        if (TokenProvider is null && string.IsNullOrWhiteSpace(Token))
        {
            throw new InvalidOperationException("PerspectiveProviderOptions needs Token or TokenProvider (a bearer token with role provider).");
        }
        if (Deadline <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("PerspectiveProviderOptions.Deadline must be positive.");
        }
        if (needsEndpoint && Endpoint!.Scheme == Uri.UriSchemeHttp && !SendsTokenOverCleartext)
        {
            throw new InvalidOperationException(
                $"PerspectiveProviderOptions.Endpoint {Endpoint} is cleartext http: the bearer token would travel unencrypted. Use https, or set AllowTokenOverCleartext = true inside a trusted network.");
        }
        if (MaxRetries is < 0 or > 100)
        {
            throw new InvalidOperationException("PerspectiveProviderOptions.MaxRetries must be between 0 and 100.");
        }
        if (RetryBackoff < TimeSpan.Zero || MaxRetryBackoff < TimeSpan.Zero || MaxRetryAfter < TimeSpan.Zero)
        {
            throw new InvalidOperationException("PerspectiveProviderOptions.RetryBackoff, MaxRetryBackoff and MaxRetryAfter must not be negative.");
        }
    }

    internal bool SendsTokenOverCleartext =>
        AllowTokenOverCleartext ?? (Endpoint is { } endpoint && endpoint.Scheme == Uri.UriSchemeHttp && endpoint.IsLoopback);
}
