namespace InteropGuard.Tests
{
    public class SmokeTests
    {
        [Fact]
        public void DescriptorIdsAreStable()
        {
            Assert.Equal("IG3001", Descriptors.NativeMemoryLeak.Id);
        }
    }
}
