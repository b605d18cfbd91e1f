namespace Perspective.ServiceDefaults.Auth;

/// <summary>
/// The caller must be the account a request field names (<c>caller.sub == request.&lt;Field&gt;</c>) unless it holds one of
/// <see cref="UnlessRoles"/>. <see cref="Field"/> is a path of proto field names; a repeated step checks every element
/// (<c>legs.from_account</c>: every leg). With <see cref="EmptyIsCaller"/> an empty value means the caller itself, as the
/// handler reads it (<c>payer_account</c> defaults to the caller).
/// </summary>
public sealed record OwnerRule(string Field, IReadOnlyList<string> UnlessRoles, bool EmptyIsCaller = false)
{
    public override string ToString() => UnlessRoles.Count == 0
        ? $"caller must be the account '{Field}'"
        : $"caller must be the account '{Field}' or have role {string.Join("/", UnlessRoles)}";
}

/// <summary>
/// Who may call one RPC (<see cref="Method"/>, e.g. <c>/perspective.ledger.v1.LedgerService/Transfer</c>): a caller with one of
/// <see cref="Roles"/>, for an account it owns when <see cref="Owner"/> is set. Both parts are enforced by
/// <see cref="AccessInterceptor"/> before the handler runs. <see cref="Resource"/> names a further rule that needs state
/// (a model's provider, a proposal's proposer): the service's handler checks it, the table only says it exists.
/// <see cref="Anonymous"/> is for the health and reflection services only.
/// </summary>
public sealed record AccessRule(string Method, IReadOnlyList<string> Roles, OwnerRule? Owner = null, string? Resource = null, bool Anonymous = false)
{
    /// <summary>The RPC's short name (<c>Transfer</c>), for messages.</summary>
    public string Name => Method[(Method.LastIndexOf('/') + 1)..];

    public override string ToString()
    {
        if (Anonymous)
        {
            return $"{Name}: anyone";
        }
        var text = $"{Name}: role {string.Join("/", Roles)}";
        if (Owner is not null)
        {
            text += $"; {Owner}";
        }
        return Resource is null ? text : $"{text}; {Resource} (checked by the service)";
    }
}

/// <summary>Names of the rules that need state, checked by the services' handlers; the access table refers to them.</summary>
public static class ResourceRules
{
    /// <summary>Only the provider of the request's model may charge or authorize usage for it (gateway).</summary>
    public const string ProviderOfModel = "ProviderOfModel(model_id)";

    /// <summary>Only the provider named on the usage authorization may settle or cancel it (gateway).</summary>
    public const string ProviderOfAuthorization = "ProviderOfAuthorization(authorization_id)";

    /// <summary>The payer, the model's provider, service or admin may read an allowance (gateway).</summary>
    public const string PayerOrProviderOfModel = "PayerOrProviderOfModel(payer_account, model_id)";

    /// <summary>The payer, the provider, service or admin may see a payment or authorization; others get NOT_FOUND (gateway).</summary>
    public const string PayerOrProvider = "PayerOrProvider";

    /// <summary>Only the model's creator may change its metadata or retire it (registry).</summary>
    public const string ModelCreator = "ModelCreator(model_id)";

    /// <summary>Service, admin or the model's creator may reconcile its treasury (treasury).</summary>
    public const string ModelCreatorOrServiceOrAdmin = "ModelCreatorOrServiceOrAdmin(model_id)";

    /// <summary>Only the proposer may cancel its proposal (governance).</summary>
    public const string Proposer = "Proposer(proposal_id)";

    /// <summary>Only the hold's creator or a service may post or void it (Ledger writer).</summary>
    public const string HoldCreatorOrService = "HoldCreatorOrService(hold_id)";

    /// <summary>Only the lock's owner or a service may unlock it (Ledger writer).</summary>
    public const string LockOwnerOrService = "LockOwnerOrService(lock_id)";

    /// <summary>Only the maker may cancel its swap offer (Ledger writer).</summary>
    public const string OfferMaker = "OfferMaker(offer_id)";

    /// <summary>Not the maker, and only the named counterparty when the offer names one (Ledger writer).</summary>
    public const string OfferTaker = "OfferTaker(offer_id)";
}
