using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// Native functions declared for a loader that implements them at run time (an interface whose members carry a
    /// <c>...DllImportAttribute</c> naming the library and entry point), and Leptonica's documented image owners.
    /// </summary>
    public class RunTimeImportTests
    {
        // A loader of the InteropDotNet kind: the attribute it reads, the interface it implements, and the instance.
        private const string Loader = @"using System;
using System.Runtime.InteropServices;
[AttributeUsage(AttributeTargets.Method)]
sealed class RuntimeDllImportAttribute : Attribute
{
    public RuntimeDllImportAttribute(string library) { Library = library; }
    public string Library { get; }
    public string EntryPoint;
    public CallingConvention CallingConvention;
}
public interface IImaging
{
    [RuntimeDllImport(""liblept168"", CallingConvention = CallingConvention.Cdecl, EntryPoint = ""pixCreate"")]
    IntPtr pixCreate(int width, int height, int depth);
    [RuntimeDllImport(""liblept168"", EntryPoint = ""pixGetWidth"")]
    int GetWidth(IntPtr pix);
    [RuntimeDllImport(""liblept168"", EntryPoint = ""pixDestroy"")]
    void pixDestroy(ref IntPtr pix);
    [RuntimeDllImport(""liblept168"", EntryPoint = ""pixaDestroy"")]
    void pixaDestroy(ref IntPtr pixa);
    [RuntimeDllImport(""liblept168"", EntryPoint = ""pixOtsuAdaptiveThreshold"")]
    int pixOtsuAdaptiveThreshold(IntPtr pix, int sx, int sy, int smoothx, int smoothy, float scorefract, out IntPtr ppixth, out IntPtr ppixd);
}
static class Imaging
{
    public static IImaging Native = null!;
}
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Loader + source };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task ImageFromARunTimeImportLeaksWhenNotDestroyed() => Check(@"
class Probe
{
    public static int Width()
    {
        var pix = {|#0:Imaging.Native.pixCreate(8, 8, 1)|};
        return Imaging.Native.GetWidth(pix);
    }
}", Verify.Diagnostic("IG3001").WithLocation(0));

        [Fact]
        public Task ImageDestroyedThroughTheRunTimeImportInFinallyIsSilent() => Check(@"
class Probe
{
    public static int Width()
    {
        var pix = Imaging.Native.pixCreate(8, 8, 1);
        try
        {
            return Imaging.Native.GetWidth(pix);
        }
        finally
        {
            Imaging.Native.pixDestroy(ref pix);
        }
    }
}");

        [Fact]
        public Task ThresholdImageHandedOutThroughAnOutParameterIsOwned() => Check(@"
class Probe
{
    public static IntPtr Binarize(IntPtr source)
    {
        IntPtr thresholds, binary;
        int failed = Imaging.Native.pixOtsuAdaptiveThreshold(source, 16, 16, 0, 0, 0.1f, {|#0:out thresholds|}, out binary);
        if (failed == 1) throw new InvalidOperationException();
        return binary;
    }
}", Verify.Diagnostic("IG3001").WithLocation(0));

        [Fact]
        public Task ThresholdImageReleasedAsAnImageArrayIsTheWrongRelease() => Check(@"
class Probe
{
    public static IntPtr Binarize(IntPtr source)
    {
        IntPtr thresholds, binary;
        int failed = Imaging.Native.pixOtsuAdaptiveThreshold(source, 16, 16, 0, 0, 0.1f, out thresholds, out binary);
        if (thresholds != IntPtr.Zero) {|#0:Imaging.Native.pixaDestroy(ref thresholds)|};
        if (failed == 1) throw new InvalidOperationException();
        return binary;
    }
}", Verify.Diagnostic("IG3002").WithLocation(0));

        [Fact]
        public Task ThresholdImageDestroyedAndResultReturnedIsSilent() => Check(@"
class Probe
{
    public static IntPtr Binarize(IntPtr source)
    {
        IntPtr thresholds, binary;
        int failed = Imaging.Native.pixOtsuAdaptiveThreshold(source, 16, 16, 0, 0, 0.1f, out thresholds, out binary);
        if (thresholds != IntPtr.Zero) Imaging.Native.pixDestroy(ref thresholds);
        if (failed == 1) throw new InvalidOperationException();
        return binary;
    }
}");

        [Fact]
        public Task InterfaceMemberWithAnotherAttributeIsNotNative() => new AnalyzerTest<OwnershipAnalyzer>
        {
            // The same names on an ordinary interface (its attribute declares no import): a managed imaging API.
            Source = @"using System;
[AttributeUsage(AttributeTargets.Method)]
sealed class ImportedFromAttribute : Attribute
{
    public ImportedFromAttribute(string library) { }
}
public interface IImaging
{
    [ImportedFrom(""liblept168"")] IntPtr pixCreate(int width, int height, int depth);
    int GetWidth(IntPtr pix);
}
class Probe
{
    public static int Width(IImaging imaging)
    {
        var pix = imaging.pixCreate(8, 8, 1);
        return imaging.GetWidth(pix);
    }
}",
        }.RunAsync();

        [Fact]
        public Task SameEntryPointOfAnotherLibraryIsNotLeptonicas() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = Loader.Replace("liblept168", "libpixels") + @"
class Probe
{
    public static int Width()
    {
        var pix = Imaging.Native.pixCreate(8, 8, 1);
        return Imaging.Native.GetWidth(pix);
    }
}",
        }.RunAsync();
    }
}
