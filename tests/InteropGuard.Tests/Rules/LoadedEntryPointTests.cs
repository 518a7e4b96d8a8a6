using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3001 over GLib's allocator, called the way GTK bindings call it: through delegate fields loaded by entry point
    /// name (no DllImport), behind a managed string helper. Invoking such a field is a native call: a catalogue
    /// allocation or release when its entry point is one, and not a throw point.
    /// </summary>
    public class LoadedEntryPointTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using System.Text;
static class Loader
{
    [DllImport(""dl"")] public static extern IntPtr dlopen(string file, int mode);
    [DllImport(""dl"")] public static extern IntPtr dlsym(IntPtr library, string name);
    public static T Get<T>(string name) where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(dlsym(dlopen(""libglib-2.0.so.0"", 2), name));
}
static class GMem
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate IntPtr d_alloc(UIntPtr size);
    static readonly d_alloc g_malloc = Loader.Get<d_alloc>(""g_malloc"");
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate void d_release(IntPtr block);
    static readonly d_release g_free = Loader.Get<d_release>(""g_free"");

    // A fresh zero-terminated UTF-8 copy in GLib's heap, as GTK bindings write it.
    public static IntPtr Dup(string text)
    {
        if (text == null)
            return IntPtr.Zero;
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        IntPtr copy = g_malloc(new UIntPtr((ulong)bytes.Length + 1));
        Marshal.Copy(bytes, 0, copy, bytes.Length);
        Marshal.WriteByte(copy, bytes.Length, 0);
        return copy;
    }

    public static void Free(IntPtr block) { g_free(block); }
}
static class GObj
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate IntPtr d_find(IntPtr klass, IntPtr name);
    static readonly d_find find_property = Loader.Get<d_find>(""g_object_class_find_property"");

";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source + "\n}" };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task CopyFromAHelperOverALoadedGMallocNeverFreed() => Check(@"
    public static IntPtr Find(IntPtr klass, string name)
    {
        IntPtr native = {|#0:GMem.Dup(name)|};
        return find_property(klass, native);
    }", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'GMem.Dup' in 'native' is not released by 'g_free' on the 'return find_property(klass, native)'"));

        [Fact]
        public Task LoadedGMallocCalledDirectlyAndDropped() => Check(@"
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate IntPtr d_dup(string s);
    static readonly d_dup g_strdup = Loader.Get<d_dup>(""g_strdup"");
    public static void Touch(IntPtr klass)
    {
        IntPtr name = {|#0:g_strdup(""visible"")|};
        find_property(klass, name);
    }", Verify.Diagnostic("IG3001").WithLocation(0));

        [Fact]
        public Task FreedAfterTheLoadedNativeCallIsSilent() => Check(@"
    // The loaded call is native code: it is not a path on which the copy leaks.
    public static IntPtr Find(IntPtr klass, string name)
    {
        IntPtr native = GMem.Dup(name);
        IntPtr found = find_property(klass, native);
        GMem.Free(native);
        return found;
    }
    public static IntPtr FindInTry(IntPtr klass, string name)
    {
        IntPtr native = GMem.Dup(name);
        try { return find_property(klass, native); }
        finally { GMem.Free(native); }
    }");

        [Fact]
        public Task BlockStoredInAGValueByTheLoadedSetterIsHandedOver() => Check(@"
    public struct GVal { IntPtr type; long first; long second; }
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate void d_set_pointer(ref GVal value, IntPtr data);
    static readonly d_set_pointer g_value_set_pointer = Loader.Get<d_set_pointer>(""g_value_set_pointer"");
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate void d_set_string(ref GVal value, IntPtr data);
    static readonly d_set_string g_value_set_string = Loader.Get<d_set_string>(""g_value_set_string"");

    // The GValue keeps the pointer it is given: freeing the block here would leave the value dangling.
    public static void Point(ref GVal value, int size)
    {
        IntPtr block = Marshal.AllocHGlobal(size);
        g_value_set_pointer(ref value, block);
    }

    // g_value_set_string copies its string: the copy made for the call is still owed.
    public static void Text(ref GVal value, string text)
    {
        IntPtr native = {|#0:GMem.Dup(text)|};
        g_value_set_string(ref value, native);
    }", Verify.Diagnostic("IG3001").WithLocation(0));

        [Fact]
        public Task DelegateTypeSharedByTwoLoadedFieldsSaysNothing() => Check(@"
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate IntPtr d_sized(UIntPtr size);
    static readonly d_sized g_malloc0 = Loader.Get<d_sized>(""g_malloc0"");
    static readonly d_sized pool_take = Loader.Get<d_sized>(""pool_take"");
    public static void Use()
    {
        IntPtr a = g_malloc0(new UIntPtr(8));
        IntPtr b = pool_take(new UIntPtr(8));
    }");

        [Fact]
        public Task ManagedDelegateFieldOfTheSameNameIsNotGLib() => Check(@"
    delegate IntPtr d_managed(UIntPtr size);
    static readonly d_managed g_malloc = size => Marshal.AllocHGlobal((int)size);
    public static void Use()
    {
        IntPtr a = g_malloc(new UIntPtr(8));
    }");

        [Fact]
        public Task GLibEntryPointsAreKnownInAnyLibraryName() => Check(@"
    [DllImport(""libglib-2.0-0.dll"")] static extern IntPtr g_strndup(string s, UIntPtr n);
    [DllImport(""libglib-2.0-0.dll"")] static extern void g_free(IntPtr p);
    [DllImport(""libglib-2.0-0.dll"")] static extern void g_strfreev(IntPtr p);
    public static void Use(IntPtr klass)
    {
        IntPtr kept = {|#0:g_strndup(""abc"", new UIntPtr(2))|};
        find_property(klass, kept);
        IntPtr freed = g_strndup(""abc"", new UIntPtr(2));
        find_property(klass, freed);
        g_free(freed);
    }", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'GObj.g_strndup' in 'kept' is not released by 'GObj.g_free' when the method returns"));

        [Fact]
        public Task CopyGivenToAnAbstractMemberIsHandedOnButNotToAReadingOne() => Check(@"
    public abstract class Store
    {
        // Which override runs (one that keeps the block in a native list) is not known here.
        protected abstract void Keep(IntPtr block);
        public void Add(string s) { Keep(GMem.Dup(s)); }
        public void Show(string s) { Print({|#0:GMem.Dup(s)|}); }
        static void Print(IntPtr text) { Console.WriteLine(Marshal.ReadByte(text)); }
    }", Verify.Diagnostic("IG3001").WithLocation(0));

        [Fact]
        public Task SameDelegateTypeNameInTwoClassesIsTwoLoadedEntryPoints() => Check(@"
    // Bindings declare 'd_find' again in every class that loads the function; each type has its one field.
    static class Properties
    {
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate IntPtr d_find(IntPtr klass, IntPtr name);
        static readonly d_find find_property = Loader.Get<d_find>(""g_object_class_find_property"");
        public static IntPtr Find(IntPtr klass, string name)
        {
            IntPtr native = GMem.Dup(name);
            IntPtr found = find_property(klass, native);
            GMem.Free(native);
            return found;
        }
    }");

        [Fact]
        public Task SameDelegateTypeNameWhereOneTypeServesTwoFieldsSaysNothingForThatType() => Check(@"
    static class Pools
    {
        // This class's 'd_release' serves two loaded fields: which entry point a call reaches is not one name, so the
        // type is not read as g_free's, and the copy given to 'pool_put' is not taken as released. (Either call is
        // still a native call, not a throw point: both fields hold what the loader made from a function pointer.)
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate void d_release(IntPtr block);
        static readonly d_release g_free = Loader.Get<d_release>(""g_free"");
        static readonly d_release pool_put = Loader.Get<d_release>(""pool_put"");
        public static void Give(string name) { pool_put({|#0:GMem.Dup(name)|}); }
    }", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'GMem.Dup' that is only passed to 'd_release.Invoke' is not released by 'g_free' on any path"));
    }
}
