using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG2003 on the catalogue's documents and streamed media read from memory: PDFium's memory documents and CSFML's
    /// fonts and musics keep reading the caller's buffer while they live; the look-alikes that decode or copy during the
    /// call (a texture from memory, a document from a path) and a buffer the caller pins for the object's life are silent.
    /// </summary>
    public class RetainedDocumentBufferTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
static class Pdf
{
    [DllImport(""pdfium"")] public static extern IntPtr FPDF_LoadMemDocument(byte[] data, int size, string password);
    [DllImport(""pdfium"")] public static extern IntPtr FPDF_LoadDocument(string path, string password);
    [DllImport(""pdfium"")] public static extern IntPtr FPDF_LoadMemDocument64(IntPtr data, UIntPtr size, string password);
}
static class Sf
{
    [DllImport(""csfml-graphics"")] public static extern IntPtr sfFont_createFromMemory(IntPtr data, UIntPtr size);
    [DllImport(""csfml-graphics"")] public static extern IntPtr sfTexture_createFromMemory(IntPtr data, UIntPtr size, IntPtr area);
    [DllImport(""csfml-audio"")] public static extern IntPtr sfMusic_createFromMemory(IntPtr data, UIntPtr size);
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<RetainedManagedBufferAnalyzer> { Source = Prelude + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        private static DiagnosticResult Finding(int location, string buffer, string function, string family)
            => Verify.Diagnostic("IG2003").WithLocation(location).WithMessage(
                buffer + " is given to " + function + ", which is documented to keep this argument after it returns (InteropGuard's catalogue of "
                + family + " functions); it is pinned only for the duration of the call, so native code keeps the pointer and later writes into memory the GC may move or reuse");

        [Fact]
        public Task BuffersReadForTheObjectsLifeAreFindings() => Check(@"
sealed class Document
{
    private IntPtr _doc;

    public Document(byte[] contents)
    {
        _doc = Pdf.FPDF_LoadMemDocument({|#0:contents|}, contents.Length, null);
    }
}

sealed class Media
{
    private IntPtr _font, _music;

    public unsafe Media(byte[] font, byte[] music)
    {
        fixed (byte* f = font)
        {
            _font = Sf.sfFont_createFromMemory({|#1:(IntPtr)f|}, (UIntPtr)font.Length);
        }

        fixed (byte* m = music)
        {
            _music = Sf.sfMusic_createFromMemory({|#2:(IntPtr)m|}, (UIntPtr)music.Length);
        }
    }
}",
            Finding(0, "The array 'contents'", "'Pdf.FPDF_LoadMemDocument'", "PDFium"),
            Finding(1, "The fixed pointer 'f' to the array 'font'", "'Sf.sfFont_createFromMemory'", "CSFML"),
            Finding(2, "The fixed pointer 'm' to the array 'music'", "'Sf.sfMusic_createFromMemory'", "CSFML"));

        [Fact]
        public Task CopiedDecodedOrPinnedBuffersAreNotFindings() => Check(@"
sealed class Document
{
    private IntPtr _doc;
    private GCHandle _pin;

    public Document(string path) => _doc = Pdf.FPDF_LoadDocument(path, null);

    public Document(byte[] contents, bool keep)
    {
        _pin = GCHandle.Alloc(contents, GCHandleType.Pinned);
        _doc = Pdf.FPDF_LoadMemDocument64(_pin.AddrOfPinnedObject(), (UIntPtr)contents.Length, null);
    }
}

sealed class Picture
{
    private IntPtr _texture;

    public unsafe Picture(byte[] png)
    {
        fixed (byte* p = png)
        {
            _texture = Sf.sfTexture_createFromMemory((IntPtr)p, (UIntPtr)png.Length, IntPtr.Zero);
        }
    }
}");
    }
}
