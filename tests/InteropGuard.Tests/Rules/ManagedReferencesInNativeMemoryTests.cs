using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Tests.Rules
{
    /// <summary>IG2004: pointers to reference-holding memory reaching native code; pinned GCHandles of such objects.</summary>
    public class ManagedReferencesInNativeMemoryTests
    {
        private const string Prelude = @"using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
struct Request { public int Id; public string Name; }
struct Outer { public long Stamp; public Request Inner; }
struct Plain { public int Id; public long Size; }
unsafe struct WithFixedBuffer { public int Length; public fixed byte Data[32]; }
struct Pair<T> { public T First; public T Second; }
class Node { public int Value; public Node Next; }
class Counters { public int Hits; public long Bytes; }
static unsafe class Native
{
    [DllImport(""lib"")] public static extern void lib_start(void* request);
    [DllImport(""lib"")] public static extern void lib_start_ptr(IntPtr request);
    [DllImport(""lib"")] public static extern void lib_fill(Plain* data);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<ManagedReferencesInNativeMemoryAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private const string NativeConsequence = "the GC does not see references in native memory, so it may move or collect the objects they point to while native code still uses them";
        private const string PinConsequence = "GCHandle.Alloc throws ArgumentException ('Object contains references.') at run time";

        private static DiagnosticResult Pointer(int location, string what, string native, string why)
            => Verify.Diagnostic("IG2004").WithLocation(location).WithMessage(what + " reaches native code through " + native + ", but " + why + "; " + NativeConsequence);

        private static DiagnosticResult Pin(int location, string target, string type, string why)
            => Verify.Diagnostic("IG2004").WithLocation(location).WithMessage("'GCHandle.Alloc' with GCHandleType.Pinned pins '" + target + "' of type '" + type + "', but " + why + "; " + PinConsequence);

        [Fact]
        public Task AddressOfStructWithStringField() => Check(@"
unsafe class C
{
    void M()
    {
        var request = new Request { Id = 1, Name = ""x"" };
        Native.lib_start({|#0:&request|});
    }
}", Pointer(0, "The pointer '&request'", "'Native.lib_start'", "field 'Name' of 'Request' holds a managed reference"));

        [Fact]
        public Task AsPointerThroughLocalsAndIntPtr() => Check(@"
unsafe class C
{
    void M(Outer outer)
    {
        void* p = {|#0:Unsafe.AsPointer(ref outer)|};
        var address = (IntPtr)p;
        IntPtr copy = address;
        Native.lib_start_ptr(copy);
    }
}", Pointer(0, "The pointer 'Unsafe.AsPointer(ref outer)'", "'Native.lib_start_ptr'", "field 'Inner.Name' of 'Outer' holds a managed reference"));

        [Fact]
        public Task AddressOfReferenceTypedVariable() => Check(@"
unsafe class C
{
    void M(string text)
    {
        Native.lib_start({|#0:Unsafe.AsPointer(ref text)|});
    }
}", Pointer(0, "The pointer 'Unsafe.AsPointer(ref text)'", "'Native.lib_start'", "'string' is a reference type"));

        [Fact]
        public Task FixedOverArrayOfReferenceHoldingStructs() => Check(@"
unsafe class C
{
    void M(Request[] requests)
    {
        fixed (Request* p = {|#0:requests|})
        {
            Native.lib_start(p);
        }
    }
}", Verify.Diagnostic("IG2004").WithLocation(0).WithMessage("The fixed pointer 'p' reaches native code through 'Native.lib_start', but field 'Name' of 'Request' holds a managed reference; " + NativeConsequence));

        [Fact]
        public Task ThroughAWrapperAndFunctionPointer() => Check(@"
unsafe class Engine
{
    public void Start(void* request) => Native.lib_start(request);
}
unsafe class C
{
    void M(Engine engine, delegate* unmanaged<void*, void> start)
    {
        var first = new Request();
        var second = new Request();
        engine.Start({|#0:&first|});
        start({|#1:&second|});
    }
}",
            Verify.Diagnostic("IG2004").WithLocation(0).WithMessage("The pointer '&first' reaches native code through 'Native.lib_start' (called by 'Engine.Start'), but field 'Name' of 'Request' holds a managed reference; " + NativeConsequence),
            Verify.Diagnostic("IG2004").WithLocation(1).WithMessage("The pointer '&second' reaches native code through a 'delegate* unmanaged' call, but field 'Name' of 'Request' holds a managed reference; " + NativeConsequence));

        [Fact]
        public Task UnmanagedStructsFixedBuffersAndUnmanagedGenericsAreFine() => Check(@"
unsafe class C
{
    void M<T>(T value) where T : unmanaged
    {
        var plain = new Plain();
        Native.lib_fill(&plain);
        var buffer = new WithFixedBuffer();
        Native.lib_start(&buffer);
        var pair = new Pair<long>();
        Native.lib_start(&pair);
        Native.lib_start(&value);
        Native.lib_start(Unsafe.AsPointer(ref plain));
        int number = 5;
        Native.lib_start(&number);
    }
}");

        [Fact]
        public Task ReferencePointersThatStayManagedAreNotFindings() => Check(@"
unsafe class C
{
    int M()
    {
        var request = new Request { Id = 3 };
        Request* p = &request;
        int id = p->Id;
        void* q = Unsafe.AsPointer(ref request);
        return id + Unsafe.Read<Request>(q).Id;
    }
}");

        [Fact]
        public Task UnconstrainedTypeParametersAreUnknown() => Check(@"
unsafe class C
{
    void M<T>(T value)
    {
        Native.lib_start(Unsafe.AsPointer(ref value));
        var pair = new Pair<T>();
        Native.lib_start(Unsafe.AsPointer(ref pair));
    }
}");

        [Fact]
        public Task UnpinnedArrayAndFieldRefsAreLeftToIG2002() => Check(@"
unsafe class Holder { public Request Current; }
unsafe class C
{
    void M(Request[] requests, Holder holder)
    {
        Native.lib_start(Unsafe.AsPointer(ref requests[0]));
        Native.lib_start(Unsafe.AsPointer(ref holder.Current));
    }
}");

        [Fact]
        public Task PinnedHandleWrittenWithAUnicodeEscape() => Check(@"
class C
{
    void M(string[] names)
    {
        {|#0:GCHandle.\u0041lloc(names, GCHandleType.Pinned)|}.Free();
    }
}",
            Pin(0, "names", "string[]", "its elements contain references: 'string' is a reference type"));

        [Fact]
        public Task PinnedHandleOfReferenceHoldingObjects() => Check(@"
class C
{
    void M(string[] names, Request[] requests, Node node, Request request, List<int> list, Action callback)
    {
        {|#0:GCHandle.Alloc(names, GCHandleType.Pinned)|}.Free();
        var a = {|#1:GCHandle.Alloc(requests, GCHandleType.Pinned)|};
        var b = {|#2:GCHandle.Alloc(node, GCHandleType.Pinned)|};
        var c = {|#3:GCHandle.Alloc(request, GCHandleType.Pinned)|};
        var d = {|#4:GCHandle.Alloc(callback, GCHandleType.Pinned)|};
        var e = {|#5:GCHandle.Alloc(new object[2], GCHandleType.Pinned)|};
    }
}",
            Pin(0, "names", "string[]", "its elements contain references: 'string' is a reference type"),
            Pin(1, "requests", "Request[]", "its elements contain references: field 'Name' of 'Request' holds a managed reference"),
            Pin(2, "node", "Node", "field 'Next' of 'Node' holds a managed reference"),
            Pin(3, "request", "Request", "field 'Name' of 'Request' holds a managed reference"),
            Pin(4, "callback", "Action", "a delegate holds a reference to its target"),
            Pin(5, "new object[2]", "object[]", "its elements contain references: 'object' is a reference type"));

        [Fact]
        public Task PinnableObjectsAreFine() => Check(@"
class C
{
    void M<T>(byte[] bytes, char[] chars, bool[] flags, string text, Plain[] plain, Counters counters, object unknown, T generic, int[,] grid, Pair<int>[] pairs, IDisposable disposable, decimal[] money)
    {
        GCHandle.Alloc(bytes, GCHandleType.Pinned).Free();
        GCHandle.Alloc(chars, GCHandleType.Pinned).Free();
        GCHandle.Alloc(flags, GCHandleType.Pinned).Free();
        GCHandle.Alloc(text, GCHandleType.Pinned).Free();
        GCHandle.Alloc(plain, GCHandleType.Pinned).Free();
        GCHandle.Alloc(counters, GCHandleType.Pinned).Free();
        GCHandle.Alloc(unknown, GCHandleType.Pinned).Free();
        GCHandle.Alloc(generic, GCHandleType.Pinned).Free();
        GCHandle.Alloc(grid, GCHandleType.Pinned).Free();
        GCHandle.Alloc(pairs, GCHandleType.Pinned).Free();
        GCHandle.Alloc(disposable, GCHandleType.Pinned).Free();
        GCHandle.Alloc(money, GCHandleType.Pinned).Free();
        GCHandle.Alloc(new List<int>(), GCHandleType.Pinned).Free();
        GCHandle.Alloc(new Node()).Free();
        GCHandle.Alloc(new Node(), GCHandleType.Normal).Free();
        GCHandle.Alloc(new string[1], GCHandleType.Weak).Free();
    }
}");

        [Fact]
        public Task TopLevelStatementsLambdasAndAsync() => new AnalyzerTest<ManagedReferencesInNativeMemoryAnalyzer>
        {
            OutputKind = OutputKind.ConsoleApplication,
            Source = @"using System;
using System.Threading.Tasks;
using System.Runtime.InteropServices;

var names = new string[2];
var h = {|#0:GCHandle.Alloc(names, GCHandleType.Pinned)|};
Func<GCHandle> f = () => {|#1:GCHandle.Alloc(names, GCHandleType.Pinned)|};
await Pin();

async Task Pin()
{
    await Task.Yield();
    {|#2:GCHandle.Alloc(names, GCHandleType.Pinned)|}.Free();
}",
            ExpectedDiagnostics =
            {
                Pin(0, "names", "string[]", "its elements contain references: 'string' is a reference type"),
                Pin(1, "names", "string[]", "its elements contain references: 'string' is a reference type"),
                Pin(2, "names", "string[]", "its elements contain references: 'string' is a reference type"),
            },
        }.RunAsync();

        [Fact]
        public Task IncompleteCodeDoesNotThrow() => new AnalyzerTest<ManagedReferencesInNativeMemoryAnalyzer>
        {
            AllowCompilerErrors = true,
            Source = Prelude + @"
unsafe class C
{
    void M(Missing m)
    {
        GCHandle.Alloc(m, GCHandleType.Pinned);
        GCHandle.Alloc(, GCHandleType.Pinned);
        Native.lib_start(&m);
        Native.lib_start(Unsafe.AsPointer(ref ));
        fixed (Request* p = )
            Native.lib_start(p);
    }
}",
        }.RunAsync();

        [Fact]
        public Task AutoPropertiesAndInheritedFieldsCount() => Check(@"
class Named { public string Name { get; set; } = """"; }
class Base { protected object? Tag; }
class Derived : Base { public int Count; }
struct Labelled { public int Id { get; set; } public string Label { get; set; } }
class C
{
    void M(Named named, Derived derived, Labelled labelled)
    {
        var a = {|#0:GCHandle.Alloc(named, GCHandleType.Pinned)|};
        var b = {|#1:GCHandle.Alloc(derived, GCHandleType.Pinned)|};
        var c = {|#2:GCHandle.Alloc(labelled, GCHandleType.Pinned)|};
    }
}",
            Pin(0, "named", "Named", "field 'Name' of 'Named' holds a managed reference"),
            Pin(1, "derived", "Derived", "field 'Tag' of 'Base' holds a managed reference"),
            Pin(2, "labelled", "Labelled", "field 'Label' of 'Labelled' holds a managed reference"));

        [Fact]
        public Task LibraryStructsAreNamedWithoutTheirPrivateFields() => Check(@"
unsafe class C
{
    void M(KeyValuePair<int, string>[] pairs)
    {
        var pair = new KeyValuePair<int, string>(1, ""one"");
        Native.lib_start({|#0:&pair|});
        var h = {|#1:GCHandle.Alloc(pairs, GCHandleType.Pinned)|};
    }
}",
            Pointer(0, "The pointer '&pair'", "'Native.lib_start'", "'KeyValuePair<int, string>' holds managed references"),
            Pin(1, "pairs", "KeyValuePair<int, string>[]", "its elements contain references: 'KeyValuePair<int, string>' holds managed references"));

        [Fact]
        public Task FixedAddressOfAFieldAndUnmanagedDelegates() => Check(@"
[UnmanagedFunctionPointer(CallingConvention.Cdecl)]
unsafe delegate void StartFn(void* request);
class Holder { public Request Current; }
unsafe class C
{
    void M(Holder holder, StartFn start, Request[] requests)
    {
        fixed (Request* p = {|#0:&holder.Current|})
        {
            start(p);
        }

        fixed (Request* q = {|#1:requests|})
        {
            Native.lib_start_ptr((IntPtr)(q + 1));
        }
    }
}",
            Verify.Diagnostic("IG2004").WithLocation(0).WithMessage("The pointer '&holder.Current' reaches native code through the unmanaged delegate 'StartFn', but field 'Name' of 'Request' holds a managed reference; " + NativeConsequence),
            Verify.Diagnostic("IG2004").WithLocation(1).WithMessage("The fixed pointer 'q' reaches native code through 'Native.lib_start_ptr', but field 'Name' of 'Request' holds a managed reference; " + NativeConsequence));

        [Fact]
        public Task LambdasAndLocalFunctions() => Check(@"
unsafe class C
{
    void M()
    {
        Action a = () =>
        {
            var request = new Request();
            Native.lib_start({|#0:&request|});
        };
        Local();

        void Local()
        {
            var request = new Request();
            void* p = {|#1:Unsafe.AsPointer(ref request)|};
            Native.lib_start(p);
        }
    }
}",
            Pointer(0, "The pointer '&request'", "'Native.lib_start'", "field 'Name' of 'Request' holds a managed reference"),
            Pointer(1, "The pointer 'Unsafe.AsPointer(ref request)'", "'Native.lib_start'", "field 'Name' of 'Request' holds a managed reference"));

        [Fact]
        public Task PointersGivenToManagedCodeOrStoredAreNotFollowed() => Check(@"
unsafe struct Envelope { public void* Body; }
unsafe class C
{
    static void Inspect(void* p) { }
    void M()
    {
        var request = new Request();
        Inspect(&request);
        var envelope = new Envelope { Body = &request };
        Native.lib_start(&envelope);
    }
}");
    }
}
