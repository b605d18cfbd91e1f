using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Ledger.V1;

namespace Perspective.Cli.Commands.Ledger;

/// <summary>How Ledger records are shown as tables.</summary>
internal static class LedgerViews
{
    public static void Balances(Output output, IEnumerable<Balance> balances) =>
        output.Table("Balances", ["account", "asset", ">total", ">available", ">held", ">locked", ">as of seq"],
            balances.Select(b => new[]
            {
                b.Account, b.Asset, Text.Amount(b.Total), Text.Amount(b.Available), Text.Amount(b.Held), Text.Amount(b.Locked),
                b.AsOfSequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }));

    public static void Transfers(Output output, IEnumerable<Transfer> transfers) =>
        output.Table("Transfers", [">seq", "transfer id", "kind", "from", "to", ">amount", "asset", "memo"],
            transfers.Select(t => new[]
            {
                Seq(t.Receipt), t.TransferId, Text.Enum(t.Kind), t.FromAccount, t.ToAccount, Text.Amount(t.Amount), t.Asset, t.Memo,
            }));

    public static void Transfer(Output output, Transfer t) =>
        output.Fields("Transfer",
            ("transfer id", t.TransferId), ("kind", Text.Enum(t.Kind)), ("from", t.FromAccount), ("to", t.ToAccount),
            ("amount", $"{Text.Amount(t.Amount)} {t.Asset}"), ("memo", t.Memo), ("reference", t.ReferenceId),
            ("sequence", Seq(t.Receipt)), ("hash", t.Receipt?.Hash ?? ""), ("committed", Text.Time(t.Receipt?.CommittedAt)));

    public static void Locks(Output output, IEnumerable<TokenLock> locks) =>
        output.Table("Locks", ["lock id", "account", ">amount", "asset", "until", "status", "memo"],
            locks.Select(l => new[] { l.LockId, l.Account, Text.Amount(l.Amount), l.Asset, Text.Time(l.Until), Text.Enum(l.Status), l.Memo }));

    public static void Lock(Output output, TokenLock l) =>
        output.Fields("Lock",
            ("lock id", l.LockId), ("account", l.Account), ("amount", $"{Text.Amount(l.Amount)} {l.Asset}"), ("until", Text.Time(l.Until)),
            ("status", Text.Enum(l.Status)), ("memo", l.Memo), ("created seq", Seq(l.Created)), ("released seq", Seq(l.Released)));

    public static void Offers(Output output, IEnumerable<SwapOffer> offers) =>
        output.Table("Swap offers", ["offer id", "maker", ">give", "give asset", ">want", "want asset", "counterparty", "expires", "status"],
            offers.Select(o => new[]
            {
                o.OfferId, o.MakerAccount, Text.Amount(o.GiveAmount), o.GiveAsset, Text.Amount(o.WantAmount), o.WantAsset,
                Text.Or(o.CounterpartyAccount, "anyone"), Text.Time(o.ExpiresAt), Text.Enum(o.Status),
            }));

    public static void Offer(Output output, SwapOffer o) =>
        output.Fields("Swap offer",
            ("offer id", o.OfferId), ("maker", o.MakerAccount), ("gives", $"{Text.Amount(o.GiveAmount)} {o.GiveAsset}"),
            ("wants", $"{Text.Amount(o.WantAmount)} {o.WantAsset}"), ("counterparty", Text.Or(o.CounterpartyAccount, "anyone")),
            ("expires", Text.Time(o.ExpiresAt)), ("status", Text.Enum(o.Status)), ("taker", o.TakerAccount), ("memo", o.Memo),
            ("created seq", Seq(o.Created)), ("closed seq", Seq(o.Closed)));

    public static string Seq(Receipt? receipt) =>
        receipt is null ? "" : receipt.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
