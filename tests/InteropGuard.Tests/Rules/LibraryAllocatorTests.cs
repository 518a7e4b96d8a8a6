using System.Threading.Tasks;
using InteropGuard.Rules;
using InteropGuard.Tests.Verification;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3001 on the allocators of well-known libraries beyond the C runtime and Win32 (SDL2's heap, Magick.NET's native
    /// library), and on string helpers that free the block only when a flag argument tells them to.
    /// </summary>
    public class LibraryAllocatorTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using System.Text;
static unsafe class Sdl
{
    [DllImport(""SDL2"", EntryPoint = ""SDL_GetClipboardText"")] static extern IntPtr INTERNAL_SDL_GetClipboardText();
    [DllImport(""SDL2"", EntryPoint = ""SDL_GetPrefPath"")] static extern IntPtr INTERNAL_SDL_GetPrefPath(byte[] org, byte[] app);
    [DllImport(""SDL2"")] static extern IntPtr SDL_GetError();
    [DllImport(""SDL2"")] internal static extern void SDL_free(IntPtr block);

    // Text from SDL: copied into a managed string, and handed back to SDL's heap when the caller says it owns it.
    static string FromUtf8(IntPtr s, bool freePtr = false)
    {
        if (s == IntPtr.Zero)
            return null;
        byte* end = (byte*)s;
        while (*end != 0)
            end++;
        string result = Encoding.UTF8.GetString((byte*)s, (int)(end - (byte*)s));
        if (freePtr)
        {
            SDL_free(s);
        }
        return result;
    }
";

        private static Task Check(string source, params DiagnosticResult[] expected)
        {
            var test = new AnalyzerTest<OwnershipAnalyzer> { Source = Prelude + source + "\n}" };
            test.ExpectedDiagnostics.AddRange(expected);
            return test.RunAsync();
        }

        [Fact]
        public Task ClipboardTextConvertedButNeverGivenBackToSdl() => Check(@"
    public static string ClipboardText()
    {
        return FromUtf8({|#0:INTERNAL_SDL_GetClipboardText()|});
    }", Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
            "Native memory from 'Sdl.INTERNAL_SDL_GetClipboardText' that is only passed to 'Sdl.FromUtf8' is not released by 'Sdl.SDL_free' on any path"));

        [Fact]
        public Task ClipboardTextConvertedWithTheFreeingFlagSaysNothing() => Check(@"
    public static string ClipboardText()
    {
        return FromUtf8(INTERNAL_SDL_GetClipboardText(), true);
    }
    public static string PrefPath(byte[] org, byte[] app)
    {
        return FromUtf8(INTERNAL_SDL_GetPrefPath(org, app), freePtr: true);
    }");

        [Fact]
        public Task FlagThatIsNotAConstantCountsAsReleasing() => Check(@"
    public static string Text(bool owned)
    {
        return FromUtf8(INTERNAL_SDL_GetClipboardText(), owned);
    }");

        [Fact]
        public Task StringSdlKeepsIsNotAnAllocation() => Check(@"
    public static string LastError()
    {
        return FromUtf8(SDL_GetError());
    }");

        [Fact]
        public Task SdlFreeInFinallySaysNothing() => Check(@"
    public static string ClipboardText()
    {
        IntPtr text = INTERNAL_SDL_GetClipboardText();
        try
        {
            return Marshal.PtrToStringUTF8(text);
        }
        finally
        {
            SDL_free(text);
        }
    }");

        [Fact]
        public Task CopyMadeThroughNullConditionalsIsFollowedIntoItsLocal() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = @"using System;
using System.Runtime.InteropServices;
using System.Text;
static class Native { [DllImport(""vlc"")] public static extern int add_slave(IntPtr media, IntPtr uri); }
static class Utf8
{
    internal static IntPtr ToUtf8(this string text)
    {
        if (text == null)
            return IntPtr.Zero;
        var bytes = Encoding.UTF8.GetBytes(text);
        var copy = IntPtr.Zero;
        try
        {
            copy = Marshal.AllocHGlobal(bytes.Length + 1);
            Marshal.Copy(bytes, 0, copy, bytes.Length);
            Marshal.WriteByte(copy, bytes.Length, 0);
        }
        catch (Exception)
        {
            Marshal.FreeHGlobal(copy);
            throw;
        }
        return copy;
    }
}
class Media
{
    IntPtr _media;

    // 'uri?.AbsoluteUri?.ToUtf8() ?? IntPtr.Zero': the graph unwraps the nullable copy into 'native'.
    bool AddSlave(Uri uri)
    {
        var native = uri?.AbsoluteUri?.ToUtf8() ?? IntPtr.Zero;
        try
        {
            return Native.add_slave(_media, native) == 0;
        }
        finally
        {
            Marshal.FreeHGlobal(native);
        }
    }

    bool AddSlaveAndForget(Uri uri)
    {
        var native = uri?.AbsoluteUri?{|#0:.ToUtf8()|} ?? IntPtr.Zero;
        return Native.add_slave(_media, native) == 0;
    }
}",
            ExpectedDiagnostics = { Verify.Diagnostic("IG3001").WithLocation(0) },
        }.RunAsync();

        [Fact]
        public Task MagickPixelBufferNotRelinquishedWhenTheCopyThrows() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = @"using System;
using System.Runtime.InteropServices;
static class NativeMethods
{
    [DllImport(""Magick.Native-Q16-x64.dll"")] public static extern IntPtr PixelCollection_ToByteArray(IntPtr instance, nint x, nint y, nuint width, nuint height, IntPtr mapping, out IntPtr exception);
    [DllImport(""Magick.Native-Q16-x64.dll"")] public static extern void MagickMemory_Relinquish(IntPtr value);
}
static class Pixels
{
    static byte[] Copy(IntPtr data, int length)
    {
        if (length <= 0)
            throw new ArgumentOutOfRangeException(nameof(length));
        var bytes = new byte[length];
        Marshal.Copy(data, bytes, 0, length);
        return bytes;
    }

    public static byte[] ToByteArray(IntPtr instance, int width, int height, IntPtr mapping, int channels)
    {
        IntPtr native = {|#0:NativeMethods.PixelCollection_ToByteArray(instance, 0, 0, (nuint)width, (nuint)height, mapping, out _)|};
        byte[] result = Copy(native, width * height * channels);
        NativeMethods.MagickMemory_Relinquish(native);
        return result;
    }

    public static byte[] ToByteArrayGuarded(IntPtr instance, int width, int height, IntPtr mapping, int channels)
    {
        IntPtr native = IntPtr.Zero;
        try
        {
            native = NativeMethods.PixelCollection_ToByteArray(instance, 0, 0, (nuint)width, (nuint)height, mapping, out _);
            return Copy(native, width * height * channels);
        }
        finally
        {
            NativeMethods.MagickMemory_Relinquish(native);
        }
    }
}",
            ExpectedDiagnostics =
            {
                Verify.Diagnostic("IG3001").WithLocation(0).WithMessage(
                    "Native memory from 'NativeMethods.PixelCollection_ToByteArray' in 'native' is not released by 'NativeMethods.MagickMemory_Relinquish' if 'Copy(native, width * height * channels)' throws"),
            },
        }.RunAsync();

        [Fact]
        public Task VipsFilenamePartsAreGLibStringsTheCallerFrees() => new AnalyzerTest<OwnershipAnalyzer>
        {
            Source = @"using System;
using System.Runtime.InteropServices;
static class VipsApi
{
    [DllImport(""libvips-42.dll"", EntryPoint = ""vips_filename_get_options"")] public static extern IntPtr FilenameGetOptions(IntPtr name);
    [DllImport(""libvips-42.dll"", EntryPoint = ""vips_filename_get_filename"")] public static extern IntPtr FilenameGetFilename(IntPtr name);
    [DllImport(""libglib-2.0-0.dll"", EntryPoint = ""g_free"")] public static extern void GFree(IntPtr block);
}
static class Loader
{
    // Reads the options and lets the GLib string go.
    public static string Options(IntPtr name) => Marshal.PtrToStringAnsi({|#0:VipsApi.FilenameGetOptions(name)|});

    // Copies the file part, then gives it back to GLib.
    public static string File(IntPtr name)
    {
        var file = VipsApi.FilenameGetFilename(name);
        try
        {
            return Marshal.PtrToStringAnsi(file);
        }
        finally
        {
            VipsApi.GFree(file);
        }
    }
}",
            ExpectedDiagnostics = { Verify.Diagnostic("IG3001").WithLocation(0) },
        }.RunAsync();
    }
}
