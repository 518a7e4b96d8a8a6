using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3004 on the shared model of what throws (Flow/ThrowingMethods): a helper called while buffers are pinned is a throw
    /// point only when its body can throw. A setup routine that fills a native struct field by field around a few native
    /// calls is read, however many plain stores it makes; a helper that rejects an input is still named.
    /// </summary>
    public class HandleReleaseThrowPointTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;

[StructLayout(LayoutKind.Sequential)]
struct Binding
{
    public IntPtr Buffer;
    public int Stride;
    public int Count;
    public IntPtr Elements;
    public int Offset;
    public int Frequency;
}

enum Shape { Lines, Triangles }

sealed class Layout
{
    public int Stride;
    public int[] Elements = new int[0];
    public IntPtr ElementsPin;
}

static class Native
{
    [DllImport(""gpu"")] public static extern void dispose_buffer(IntPtr device, IntPtr buffer);
    [DllImport(""gpu"")] public static extern IntPtr gen_buffer(IntPtr device, int size);
    [DllImport(""gpu"")] public static extern void set_data(IntPtr device, IntPtr buffer, IntPtr data, int size);
    [DllImport(""gpu"")] public static unsafe extern void apply(IntPtr device, Binding* bindings, int count);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Pinned(int location, string variable, string thrower)
            => Verify.Diagnostic("IG3004").WithLocation(location).WithMessage(
                "The GCHandle in '" + variable + "' from 'GCHandle.Alloc' is not released by 'GCHandle.Free' if '" + thrower
                + "' throws, so the object stays pinned and can never be collected");

        // The device's upload routine: sixteen statements and more, most of them stores into a native struct, four native
        // calls. Nothing in it throws, so pinning around it and freeing after it leaks nothing.
        private const string Device = @"
sealed unsafe class Device
{
    private readonly IntPtr _device;
    private readonly Binding[] _bindings = new Binding[4];
    private IntPtr _buffer;
    private int _size;
    private bool _updated;

    private void Upload(IntPtr data, int count, int first, Layout layout)
    {
        int length = count * layout.Stride;
        int offset = first * layout.Stride;
        _updated = false;
        if (length > _size)
        {
            if (_buffer != IntPtr.Zero)
            {
                Native.dispose_buffer(_device, _buffer);
            }

            _buffer = Native.gen_buffer(_device, length);
            _size = length;
        }

        Native.set_data(_device, _buffer, data + offset, length);
        fixed (Binding* b = &_bindings[0])
        {
            b->Buffer = _buffer;
            b->Stride = layout.Stride;
            b->Count = layout.Elements.Length;
            b->Elements = layout.ElementsPin;
            b->Offset = 0;
            b->Frequency = 0;
            Native.apply(_device, b, 1);
        }

        _updated = true;
    }

    private static int Vertices(Shape shape, int primitives)
    {
        switch (shape)
        {
            case Shape.Lines:
                return primitives * 2;
            case Shape.Triangles:
                return primitives * 3;
            default:
                throw new InvalidOperationException(""Unknown shape"");
        }
    }
";

        [Fact]
        public Task ASetupRoutineOfPlainStoresAroundNativeCallsIsNotAThrowPoint() => Check(Device + @"
    public void Draw<T>(T[] vertices, int count, short[] indices, Layout layout) where T : struct
    {
        GCHandle vertexPin = GCHandle.Alloc(vertices, GCHandleType.Pinned);
        GCHandle indexPin = GCHandle.Alloc(indices, GCHandleType.Pinned);
        Upload(vertexPin.AddrOfPinnedObject(), count, 0, layout);
        Upload(indexPin.AddrOfPinnedObject(), indices.Length, 0, layout);
        indexPin.Free();
        vertexPin.Free();
    }
}");

        // The same routine, and a count computed by a helper that rejects an unknown shape while both buffers are pinned: the
        // helper is named, not the routine before it.
        [Fact]
        public Task AHelperThatRejectsItsInputWhileBuffersArePinnedIsNamed() => Check(Device + @"
    public void Draw<T>(Shape shape, T[] vertices, int count, short[] indices, int primitives, Layout layout) where T : struct
    {
        GCHandle vertexPin = {|#0:GCHandle.Alloc(vertices, GCHandleType.Pinned)|};
        GCHandle indexPin = {|#1:GCHandle.Alloc(indices, GCHandleType.Pinned)|};
        Upload(vertexPin.AddrOfPinnedObject(), count, 0, layout);
        Upload(indexPin.AddrOfPinnedObject(), Vertices(shape, primitives), 0, layout);
        indexPin.Free();
        vertexPin.Free();
    }
}", Pinned(0, "vertexPin", "Vertices(shape, primitives)"), Pinned(1, "indexPin", "Vertices(shape, primitives)"));

        // Beyond the budget of calls a summary reads, a routine is still assumed to throw.
        [Fact]
        public Task ARoutineWithMoreCallsThanTheBudgetIsStillAThrowPoint() => Check(Device + @"
    private void UploadAll(IntPtr data, int length)
    {
        _updated = false;
        Native.set_data(_device, _buffer, data, length);
        Native.set_data(_device, _buffer, data, length);
        Native.set_data(_device, _buffer, data, length);
        Native.set_data(_device, _buffer, data, length);
        Native.set_data(_device, _buffer, data, length);
        Native.set_data(_device, _buffer, data, length);
        Native.set_data(_device, _buffer, data, length);
        Native.set_data(_device, _buffer, data, length);
        Native.set_data(_device, _buffer, data, length);
        _updated = true;
    }

    public void Draw(byte[] vertices)
    {
        GCHandle vertexPin = {|#0:GCHandle.Alloc(vertices, GCHandleType.Pinned)|};
        UploadAll(vertexPin.AddrOfPinnedObject(), vertices.Length);
        vertexPin.Free();
    }
}", Pinned(0, "vertexPin", "UploadAll(vertexPin.AddrOfPinnedObject(), vertices.Length)"));
    }
}
