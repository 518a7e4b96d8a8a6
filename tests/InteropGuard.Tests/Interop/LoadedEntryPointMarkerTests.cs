using InteropGuard.Interop;
using Xunit;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// The one-scan test for the two markers that make a tree worth reading for loaded entry points must answer as two
    /// substring searches would: anywhere in the text, inside longer words, comments and strings alike.
    /// </summary>
    public class LoadedEntryPointMarkerTests
    {
        [Theory]
        [InlineData("[UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate void d_free(IntPtr p);", true)]
        [InlineData("var f = Marshal.GetDelegateForFunctionPointer<d_free>(address);", true)]
        [InlineData("UnmanagedFunctionPointer", true)]
        [InlineData("// see UnmanagedFunctionPointerAttribute", true)]
        [InlineData("var s = \"GetDelegateForFunctionPointer\";", true)]
        [InlineData("delegate* unmanaged<void> FunctionPointer; SomeFunctionPointer x; GetDelegateFor(FunctionPointer);", false)]
        [InlineData("FunctionPointer at the start, then UnmanagedFunctionPointer", true)]
        [InlineData("ManagedFunctionPointer and ForFunctionPointer", false)]
        [InlineData("unmanagedFunctionPointer (other case)", false)]
        [InlineData("", false)]
        public void OneScanFindsWhatTwoSearchesFind(string text, bool expected)
        {
            var twoSearches = text.Contains("UnmanagedFunctionPointer", System.StringComparison.Ordinal)
                              || text.Contains("GetDelegateForFunctionPointer", System.StringComparison.Ordinal);
            Assert.Equal(expected, twoSearches);
            Assert.Equal(twoSearches, LoadedEntryPoints.NamesAMarker(System.MemoryExtensions.AsSpan(text)));
        }
    }
}
