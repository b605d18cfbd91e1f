using Perspective.Testing;

[assembly: AssemblyFixture(typeof(TestInfrastructure))]
