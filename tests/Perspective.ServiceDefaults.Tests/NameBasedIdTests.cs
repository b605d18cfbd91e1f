using Perspective.ServiceDefaults.Ids;

namespace Perspective.ServiceDefaults.Tests;

public sealed class NameBasedIdTests
{
    [Fact]
    public void Gives_the_version_5_uuid_of_the_rfc_example()
    {
        // RFC 9562, appendix A.4: the DNS namespace and "www.example.com".
        var dns = new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8");

        Assert.Equal(new Guid("2ed6657d-e927-568b-95e1-2665a8aea6a2"), NameBasedId.Create(dns, "www.example.com"));
    }

    [Fact]
    public void The_same_name_gives_the_same_id_and_another_name_another()
    {
        var space = new Guid("2b6c1d0e-7a41-5c3e-8f2a-547265617375");

        Assert.Equal(NameBasedId.Create(space, "proposal/0"), NameBasedId.Create(space, "proposal/0"));
        Assert.NotEqual(NameBasedId.Create(space, "proposal/0"), NameBasedId.Create(space, "proposal/1"));
    }
}
