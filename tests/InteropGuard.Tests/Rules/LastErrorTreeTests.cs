using System;
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
    /// The last-error rules read a body's operation tree (Flow/LastErrorTree) before building its control-flow graph:
    /// when the tree shows that no read has anything to report, the graph is not built. The reading may only save time:
    /// it decides the textbook shapes, leaves to the graph every body where a read has something to report or where the
    /// tree cannot follow the paths (loops around events, goto, using), and changes no finding on any source the
    /// repository holds.
    /// </summary>
    public class LastErrorTreeTests
    {
        private const string Prelude = @"using System;
using System.ComponentModel;
using System.Runtime.InteropServices;
static class Native
{
    [DllImport(""k"", SetLastError = true)] public static extern bool Open(string path);
    [DllImport(""k"", SetLastError = true)] public static extern int Sync(int fd);
    [DllImport(""k"", SetLastError = true)] public static extern int Close(int fd);
    [DllImport(""k"")] public static extern int Plain(int fd);
}
";

        private static Task<(long Answered, string[] Findings)> Analyze(string source, bool tree)
            => ShortcutAgreement.AnalyzeAsync(Prelude + source, tree, budget => new LastErrorAnalyzer(budget));

        [Theory]
        [InlineData("if (!Native.Open(p)) throw new Win32Exception(Marshal.GetLastWin32Error());")]
        [InlineData("var r = Native.Sync(fd); var e = Marshal.GetLastPInvokeError(); Console.WriteLine(e + r);")]
        [InlineData("if (Native.Sync(fd) != 0) { int error = Marshal.GetLastPInvokeError(); throw new InvalidOperationException($\"sync {error}\"); } if (Native.Close(fd) != 0) throw new Win32Exception();")]
        [InlineData("try { if (!Native.Open(p)) throw new Win32Exception(); } finally { if (Native.Close(fd) != 0) { int error = Marshal.GetLastPInvokeError(); System.Diagnostics.Debug.WriteLine(error); } }")]
        [InlineData("if (p.Length > 0 && !Native.Open(p)) { throw new Win32Exception(); }")]
        [InlineData("int rc = fd > 0 ? Native.Sync(fd) : Native.Close(fd); if (rc != 0) throw new Win32Exception(Marshal.GetLastPInvokeError());")]
        [InlineData("try { if (!Native.Open(p)) throw new Win32Exception(); } catch (InvalidOperationException) { throw; }")]
        [InlineData("for (int i = 0; i < fd; i++) { p += i; } if (!Native.Open(p)) throw new Win32Exception();")]
        // A lock: its body runs in a try whose finally releases the lock, which leaves the last error alone.
        [InlineData("lock (this) { if (!Native.Open(p)) throw new Win32Exception(); }")]
        [InlineData("bool ok; lock (this) { ok = Native.Open(p); } if (!ok) throw new Win32Exception(Marshal.GetLastWin32Error());")]
        [InlineData("lock (this) { if (fd < 0) return; if (Native.Sync(fd) != 0) throw new Win32Exception(); }")]
        // A fixed statement: its declarations, then its body.
        [InlineData("fixed (char* c = p) { if (Native.Sync(fd) != 0) throw new Win32Exception(Marshal.GetLastPInvokeError()); }")]
        [InlineData("fixed (char* c = p, d = p) { lock (this) { if (!Native.Open(p)) throw new Win32Exception(); } }")]
        public async Task TextbookShapesNeedNoGraph(string body)
        {
            var source = "unsafe class C { void M(string p, int fd) { " + body + " } }";
            var (decided, findings) = await Analyze(source, tree: true);
            Assert.Empty(findings);
            Assert.Equal(1, decided);
            Assert.Empty((await Analyze(source, tree: false)).Findings);
        }

        [Theory]
        // Something that overwrites the last error runs between the call and the read: the graph reports it.
        [InlineData("if (!Native.Open(p)) { Console.WriteLine(p); throw new Win32Exception(); }", "IG4002")]
        // The P/Invoke did not save its last error.
        [InlineData("if (Native.Plain(fd) != 0) throw new Win32Exception();", "IG4001")]
        // The overwrite is on one branch only.
        [InlineData("bool ok = Native.Open(p); if (fd > 0) { Console.WriteLine(fd); } if (!ok) throw new Win32Exception();", "IG4002")]
        // A catch handler sees the state after the overwrite in its try block.
        [InlineData("try { Native.Sync(fd); Console.WriteLine(fd); } catch (InvalidOperationException) { throw new Win32Exception(); }", "IG4002")]
        // The read is reached from the finally a return enters after the overwrite.
        [InlineData("try { if (!Native.Open(p)) { Console.WriteLine(p); return; } } finally { if (fd < 0) throw new Win32Exception(); }", "IG4002")]
        // Only when both calls succeeded: the second, without SetLastError, is the most recent.
        [InlineData("if (Native.Open(p) && Native.Plain(fd) == 0) { var e = Marshal.GetLastPInvokeError(); Console.WriteLine(e); }", "IG4001")]
        // Inside a lock or a fixed statement, as outside.
        [InlineData("lock (this) { if (!Native.Open(p)) { Console.WriteLine(p); throw new Win32Exception(); } }", "IG4002")]
        [InlineData("fixed (char* c = p) { if (Native.Plain(fd) != 0) throw new Win32Exception(); }", "IG4001")]
        // An overwrite inside the lock reaches the read after it.
        [InlineData("bool ok; lock (this) { ok = Native.Open(p); Console.WriteLine(p); } if (!ok) throw new Win32Exception();", "IG4002")]
        public async Task ReadsWithSomethingToReportGoToTheGraph(string body, string id)
        {
            var source = "unsafe class C { void M(string p, int fd) { " + body + " } }";
            var (decided, findings) = await Analyze(source, tree: true);
            Assert.Equal(0, decided);
            Assert.Single(findings);
            Assert.StartsWith(id + " ", findings[0]);
            Assert.Equal(findings, (await Analyze(source, tree: false)).Findings);
        }

        [Theory]
        // The read at the top of a round follows the previous round's overwrite: only the graph's back edge shows it.
        [InlineData("for (int i = 0; i < fd; i++) { if (i > 0) { var e = Marshal.GetLastPInvokeError(); Console.WriteLine(e); } Native.Sync(i); Console.WriteLine(i); }")]
        // A goto back over the overwrite.
        [InlineData("var ok = Native.Open(p); again: if (!ok) throw new Win32Exception(); Console.WriteLine(p); fd--; if (fd > 0) goto again;")]
        // A using disposes a SafeHandle (a native release) at the end of its block, a call the tree does not hold.
        [InlineData("using (var h = new Microsoft.Win32.SafeHandles.SafeFileHandle(IntPtr.Zero, true)) { if (!Native.Open(p)) { } } throw new Win32Exception();")]
        public async Task TheGraphDecidesWhatTheTreeCannotFollow(string body)
        {
            var source = "class C { void M(string p, int fd) { " + body + " } }";
            var (decided, findings) = await Analyze(source, tree: true);
            Assert.Equal(0, decided);
            Assert.Single(findings);
            Assert.StartsWith("IG4002 ", findings[0]);
        }

        [Fact]
        public Task NoSourceOfTheRepositoryChangesItsFindings()
            => ShortcutAgreement.OverTheRepositoryAsync(budget => new LastErrorAnalyzer(budget), minimumAnswers: 20);
    }
}
