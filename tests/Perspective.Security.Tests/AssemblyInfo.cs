using Perspective.Security.Tests;

// One platform of six services for the whole project; the tests share its state, so they run one at a time.
[assembly: AssemblyFixture(typeof(SecurityPlatform))]
[assembly: CollectionBehavior(DisableTestParallelization = true)]
