using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Flow;
using InteropGuard.Rules;
using InteropGuard.Tests.Robustness;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Rules
{
    /// <summary>
    /// IG3006 answers "is the DangerousAddRef held at this use?" from the operation tree for the textbook
    /// AddRef-then-try/finally shapes (Flow/HeldReferences) and asks the path engine otherwise. The shortcut may only
    /// save time: it fires on the textbook shapes, stays out of look-alikes where the engine has something to say, and
    /// changes no finding on any source the repository holds.
    /// </summary>
    public class HeldReferencesTests
    {
        private const string Prelude = @"using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
static class Native
{
    [DllImport(""sample"")] public static extern int native_read(IntPtr handle, byte[] buffer, int length);
}
";

        private static Task<(long Answered, string[] Findings)> Analyze(string source, bool shortcut)
            => ShortcutAgreement.AnalyzeAsync(Prelude + source, shortcut, budget => new SafeHandleRefCountAnalyzer(budget));

        [Theory]
        [InlineData("bool ok = false; try { h.DangerousAddRef(ref ok); Native.native_read(h.DangerousGetHandle(), b, b.Length); } finally { if (ok) h.DangerousRelease(); }")]
        [InlineData("bool ok = false; h.DangerousAddRef(ref ok); try { IntPtr raw = h.DangerousGetHandle(); Native.native_read(raw, b, 1); Native.native_read(raw, b, 2); } finally { h.DangerousRelease(); }")]
        [InlineData("bool ok = false; try { h.DangerousAddRef(ref ok); for (int i = 0; i < 3; i++) { Native.native_read(h.DangerousGetHandle(), b, i); } } catch (InvalidOperationException) { throw; } finally { if (ok) h.DangerousRelease(); }")]
        public async Task TextbookShapesNeedNoSolve(string body)
        {
            var source = "class C { void M(SafeFileHandle h, byte[] b) { " + body + " } }";
            var (vouched, findings) = await Analyze(source, shortcut: true);
            Assert.Empty(findings);
            Assert.True(vouched > 0, "the shortcut did not answer");
            Assert.Empty((await Analyze(source, shortcut: false)).Findings);
        }

        [Theory]
        // Released inside the try before the use.
        [InlineData("bool ok = false; try { h.DangerousAddRef(ref ok); h.DangerousRelease(); Native.native_read(h.DangerousGetHandle(), b, 1); } finally { }", true)]
        // The variable names another handle by the time of the use.
        [InlineData("bool ok = false; try { h.DangerousAddRef(ref ok); h = other; Native.native_read(h.DangerousGetHandle(), b, 1); } finally { if (ok) h.DangerousRelease(); }", true)]
        // The use comes before the AddRef.
        [InlineData("bool ok = false; try { Native.native_read(h.DangerousGetHandle(), b, 1); h.DangerousAddRef(ref ok); } finally { if (ok) h.DangerousRelease(); }", true)]
        // AddRef on one branch only.
        [InlineData("bool ok = false; try { if (b.Length > 0) h.DangerousAddRef(ref ok); Native.native_read(h.DangerousGetHandle(), b, 1); } finally { if (ok) h.DangerousRelease(); }", true)]
        // A try without finally.
        [InlineData("bool ok = false; h.DangerousAddRef(ref ok); try { Native.native_read(h.DangerousGetHandle(), b, 1); } catch (Exception) { } h.DangerousRelease();", false)]
        public async Task LookAlikesAreSolved(string body, bool flagged)
        {
            var source = "class C { void M(SafeFileHandle h, SafeFileHandle other, byte[] b) { " + body + " } }";
            var (vouched, findings) = await Analyze(source, shortcut: true);
            Assert.Equal(0, vouched);
            Assert.Equal((await Analyze(source, shortcut: false)).Findings, findings);
            Assert.Equal(flagged, findings.Any(f => f.StartsWith("IG3006", StringComparison.Ordinal)));
        }

        [Fact]
        public Task NoSourceOfTheRepositoryChangesItsFindings()
            => ShortcutAgreement.OverTheRepositoryAsync(budget => new SafeHandleRefCountAnalyzer(budget), minimumAnswers: MinimumVouched);

        private const int MinimumVouched = 10;
    }
}
