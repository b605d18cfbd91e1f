using Perspective.Cli.Infrastructure;
using Perspective.Contracts.Ledger.V1;

namespace Perspective.Cli.Commands.Ledger;

/// <summary>How Ledger records are shown as tables.</summary>
internal static class LedgerViews
{
    public static void Balances(Output output, Money money, IEnumerable<Balance> balances) =>
        output.Table("Balances", ["account", "asset", ">total", ">available", ">held", ">locked", ">as of seq"],
            balances.Select(b => new[]
            {
                b.Account, b.Asset, money.Bare(b.Total, b.Asset), money.Bare(b.Available, b.Asset), money.Bare(b.Held, b.Asset), money.Bare(b.Locked, b.Asset),
                b.AsOfSequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }));

    public static void Transfers(Output output, Money money, IEnumerable<Transfer> transfers) =>
        output.Table("Transfers", [">seq", "transfer id", "kind", "from", "to", ">amount", "asset", "memo"],
            transfers.Select(t => new[]
            {
                Seq(t.Receipt), t.TransferId, Show.Enum(t.Kind), t.FromAccount, t.ToAccount, money.Bare(t.Amount, t.Asset), t.Asset, t.Memo,
            }));

    public static void Transfer(Output output, Money money, Transfer t) =>
        output.Fields("Transfer",
            ("transfer id", t.TransferId), ("kind", Show.Enum(t.Kind)), ("from", t.FromAccount), ("to", t.ToAccount),
            ("amount", money.Of(t.Amount, t.Asset)), ("memo", t.Memo), ("reference", t.ReferenceId),
            ("sequence", Seq(t.Receipt)), ("hash", t.Receipt?.Hash ?? ""), ("committed", Show.Time(t.Receipt?.CommittedAt)));

    public static void Locks(Output output, Money money, IEnumerable<TokenLock> locks) =>
        output.Table("Locks", ["lock id", "account", ">amount", "asset", "until", "status", "memo"],
            locks.Select(l => new[] { l.LockId, l.Account, money.Bare(l.Amount, l.Asset), l.Asset, Show.Time(l.Until), Show.Enum(l.Status), l.Memo }));

    public static void Lock(Output output, Money money, TokenLock l) =>
        output.Fields("Lock",
            ("lock id", l.LockId), ("account", l.Account), ("amount", money.Of(l.Amount, l.Asset)), ("until", Show.Time(l.Until)),
            ("status", Show.Enum(l.Status)), ("memo", l.Memo), ("created seq", Seq(l.Created)), ("released seq", Seq(l.Released)));

    public static void Offers(Output output, Money money, IEnumerable<SwapOffer> offers) =>
        output.Table("Swap offers", ["offer id", "maker", ">give", "give asset", ">want", "want asset", "counterparty", "expires", "status"],
            offers.Select(o => new[]
            {
                o.OfferId, o.MakerAccount, money.Bare(o.GiveAmount, o.GiveAsset), o.GiveAsset, money.Bare(o.WantAmount, o.WantAsset), o.WantAsset,
                Show.Or(o.CounterpartyAccount, "anyone"), Show.Time(o.ExpiresAt), Show.Enum(o.Status),
            }));

    public static void Offer(Output output, Money money, SwapOffer o) =>
        output.Fields("Swap offer",
            ("offer id", o.OfferId), ("maker", o.MakerAccount), ("gives", money.Of(o.GiveAmount, o.GiveAsset)),
            ("wants", money.Of(o.WantAmount, o.WantAsset)), ("counterparty", Show.Or(o.CounterpartyAccount, "anyone")),
            ("expires", Show.Time(o.ExpiresAt)), ("status", Show.Enum(o.Status)), ("taker", o.TakerAccount), ("memo", o.Memo),
            ("created seq", Seq(o.Created)), ("closed seq", Seq(o.Closed)));

    public static string Seq(Receipt? receipt) =>
        receipt is null ? "" : receipt.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
