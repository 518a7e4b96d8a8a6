namespace InteropGuard.Tests.Robustness
{
    /// <summary>
    /// The robustness tests each fill the machine on their own: one collection runs them one after the other, while
    /// xunit still runs the rest of the suite beside them.
    /// </summary>
    [CollectionDefinition(Name)]
    public sealed class RobustnessCollection
    {
        public const string Name = "Robustness";
    }
}
