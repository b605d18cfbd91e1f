namespace Perspective.ServiceDefaults.Errors;

/// <summary>What kind of rule a request broke; the error interceptor turns each into its gRPC status code.</summary>
public enum DomainErrorKind
{
    InvalidArgument,
    NotFound,
    FailedPrecondition,
    AlreadyExists,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    /// <summary>Nothing was changed and the same request may be retried (a failed commit).</summary>
    Unavailable,
}

/// <summary>
/// A broken rule, raised by domain code and turned into a gRPC status by <see cref="ErrorInterceptor"/>.
/// The message is shown to the caller as it is, so it names the field or rule and never leaks internals.
/// </summary>
public sealed class DomainException(DomainErrorKind kind, string message) : Exception(message)
{
    public DomainErrorKind Kind { get; } = kind;

    /// <summary>Bad input: the message starts with the field's name, e.g. <c>amount: must be positive</c>.</summary>
    public static DomainException InvalidArgument(string field, string rule) => new(DomainErrorKind.InvalidArgument, $"{field}: {rule}");

    public static DomainException NotFound(string what) => new(DomainErrorKind.NotFound, what);

    public static DomainException FailedPrecondition(string rule) => new(DomainErrorKind.FailedPrecondition, rule);

    public static DomainException AlreadyExists(string what) => new(DomainErrorKind.AlreadyExists, what);

    public static DomainException PermissionDenied(string rule) => new(DomainErrorKind.PermissionDenied, rule);

    public static DomainException ResourceExhausted(string limit) => new(DomainErrorKind.ResourceExhausted, limit);

    public static DomainException Unauthenticated(string reason) => new(DomainErrorKind.Unauthenticated, reason);
}
