using System.Threading.Tasks;
using static InteropGuard.Tests.Rules.HandleOwnerLifetimeTests;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG1001 reads which parameters of a called method can carry a handle, and the native function each reaches, once per
    /// method (Flow/HandleParameters). What is kept is the method's; each call still gets its own answer from its own
    /// arguments: whether anything owns the handle it passes.
    /// </summary>
    public class HandleOwnerCalleeTests
    {
        [Fact]
        public Task OneWrapperCalledWithAndWithoutAnOwnedHandle() => Check(@"
class C
{
    int Raw(IntPtr handle) => Native.Draw(handle);
    int Owned(Bitmap bitmap) => Native.Draw({|#0:bitmap.Handle|});
    int Zero() => Native.Draw(IntPtr.Zero);
    int Again(Bitmap bitmap) => Native.Draw({|#1:bitmap.Handle|}) + Native.Draw(IntPtr.Zero);
    int Kept(Bitmap bitmap) { var n = Native.Draw(bitmap.Handle); GC.KeepAlive(bitmap); return n; }
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw' through 'Native.Draw"),
            Finding(1, "bitmap", "bitmap.Handle", "Native.draw' through 'Native.Draw"));

        [Fact]
        public Task AnArrayOfHandlesWithAndWithoutOwners() => Check(@"
static class Many
{
    [DllImport(""mylib"")] public static extern int draw_many(int count, IntPtr[] bitmaps);
}
class C
{
    int Given(IntPtr[] handles) => Many.draw_many(handles.Length, handles);
    int Owned(Bitmap first) => Many.draw_many(1, new[] { {|#0:first.Handle|} });
    int Raw(IntPtr handle) => Many.draw_many(1, new[] { handle });
}", Finding(0, "first", "first.Handle", "Many.draw_many"));

        [Fact]
        public Task ElementsOfAParamsListCarryTheirHandlesAsAnArrayDoes() => Check(@"
static class Batch
{
    [DllImport(""mylib"")] public static extern int blit_all(int count, params IntPtr[] surfaces);
    public static int Blit(int count, params IntPtr[] surfaces) => blit_all(count, surfaces);
}
class C
{
    int Direct(Bitmap first, Bitmap second) => Batch.blit_all(2, {|#0:first.Handle|}, {|#1:second.Handle|});
    int Wrapped(Bitmap only) => Batch.Blit(1, {|#2:only.Handle|});
    int Listed(Bitmap only) => Batch.Blit(1, new[] { {|#3:only.Handle|} });
    int Raw(IntPtr one, IntPtr two) => Batch.blit_all(2, one, two);
    int Kept(Bitmap first, Bitmap second) { var n = Batch.blit_all(2, first.Handle, second.Handle); GC.KeepAlive(first); GC.KeepAlive(second); return n; }
    int Used(Bitmap only) => Batch.Blit(1, only.Handle) + only.Width;
    int None() => Batch.blit_all(0);
}", Finding(0, "first", "first.Handle", "Batch.blit_all"),
            Finding(1, "second", "second.Handle", "Batch.blit_all"),
            Finding(2, "only", "only.Handle", "Batch.blit_all' through 'Batch.Blit"),
            Finding(3, "only", "only.Handle", "Batch.blit_all' through 'Batch.Blit"));

        [Fact]
        public Task MethodsOfOneGenericTypeConstructedTwice() => Check(@"
class Device<T>
{
    public int Draw(IntPtr handle, T tag) => Native.draw(handle, 0);
    public int Count(T tag, int n) => n;
}
class C
{
    int Numbers(Bitmap bitmap, Device<int> device) => device.Draw({|#0:bitmap.Handle|}, 1) + device.Count(1, 2);
    int Words(Bitmap bitmap, Device<string> device) => device.Draw({|#1:bitmap.Handle|}, """") + device.Count("""", 2);
    int Raw(IntPtr handle, Device<string> device) => device.Draw(handle, """");
}", Finding(0, "bitmap", "bitmap.Handle", "Native.draw' through 'Device.Draw"),
            Finding(1, "bitmap", "bitmap.Handle", "Native.draw' through 'Device.Draw"));
    }
}
