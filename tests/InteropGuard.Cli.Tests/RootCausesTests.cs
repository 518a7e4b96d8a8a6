using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;

namespace InteropGuard.Cli.Tests
{
    /// <summary>Root causes read from the messages the analyzers actually produce, never from hand-typed ones.</summary>
    public class RootCausesTests
    {
        /// <summary>A binding in the style of OpenCvSharp: many wrapper types hand out 'CvPtr', one wrapper hands out 'Handle'.</summary>
        private const string Binding = """
            using System;
            using System.Runtime.InteropServices;

            namespace Cv
            {
                internal static class NativeMethods
                {
                    [DllImport("cv")] public static extern int core_Mat_rows(IntPtr mat);
                    [DllImport("cv")] public static extern int core_Mat_cols(IntPtr mat);
                    [DllImport("cv")] public static extern int imgproc_blur(IntPtr src, IntPtr dst);
                    [DllImport("cv")] public static extern void core_Mat_delete(IntPtr mat);
                    [DllImport("cv")] public static extern int video_read(IntPtr capture);
                }

                public abstract class DisposableCvObject
                {
                    protected IntPtr ptr;
                    ~DisposableCvObject() { NativeMethods.core_Mat_delete(ptr); }
                    public IntPtr CvPtr => ptr;
                }

                public sealed class Mat : DisposableCvObject { }

                public sealed class VideoCapture
                {
                    private IntPtr handle;
                    ~VideoCapture() { NativeMethods.core_Mat_delete(handle); }
                    public IntPtr Handle => handle;
                }

                public static class Cv2
                {
                    public static int Rows(Mat m) => NativeMethods.core_Mat_rows(m.CvPtr);
                    public static int Cols(Mat m) => NativeMethods.core_Mat_cols(m.CvPtr);
                    public static int Blur(Mat src, Mat dst) => NativeMethods.imgproc_blur(src.CvPtr, dst.CvPtr);
                    public static int Read(VideoCapture capture) => NativeMethods.video_read(capture.Handle);
                }
            }
            """;

        [Fact]
        public async Task FindingsOfOneClassThatReleasesItsHandleInAFinalizerShareARootCauseAndComeFirst()
        {
            var findings = (await InMemoryAnalysis.AnalyzeAsync("/src/Cv2.cs", Binding)).Select(ToFinding).ToList();
            Assert.Equal(5, findings.Count(f => f.RuleId == "IG1001"));

            // Mat hands out the handle its base class releases in its finalizer: the base class is the one remedy.
            var groups = RootCauses.Group(findings.Where(f => f.RuleId == "IG1001"));
            Assert.Equal(new RootCause("IG1001", "class releasing its handle in a finalizer", "DisposableCvObject"), groups[0].Cause);
            Assert.Equal(4, groups[0].Findings.Count);
            Assert.Equal(new RootCause("IG1001", "class releasing its handle in a finalizer", "VideoCapture"), groups[1].Cause);
            Assert.Single(groups[1].Findings);
        }

        [Fact]
        public async Task WithoutAFinalizerTheHandleAccessorIsTheRootCause()
        {
            // The owners keep a SafeHandle and hand out its raw value: no class-level remedy is named, the accessor is.
            const string source = """
                using System;
                using System.Runtime.InteropServices;
                using Microsoft.Win32.SafeHandles;

                static class NativeMethods
                {
                    [DllImport("cv")] public static extern int core_Mat_rows(IntPtr mat);
                }

                public sealed class Mat
                {
                    private readonly SafeFileHandle _handle = new SafeFileHandle(IntPtr.Zero, true);
                    public IntPtr CvPtr => _handle.DangerousGetHandle();
                }

                public static class Cv2
                {
                    public static int Rows(Mat m) => NativeMethods.core_Mat_rows(m.CvPtr);
                    public static int Rows2(Mat m) => NativeMethods.core_Mat_rows(m.CvPtr);
                }
                """;
            var findings = (await InMemoryAnalysis.AnalyzeAsync("/src/Mat.cs", source)).Select(ToFinding).Where(f => f.RuleId == "IG1001").ToList();
            Assert.Equal(2, findings.Count);
            var groups = RootCauses.Group(findings);
            Assert.Equal(new RootCause("IG1001", "handle", "CvPtr"), Assert.Single(groups).Cause);
        }

        [Fact]
        public async Task EveryRuleOfTheSamplesHasItsOwnPatternMatched()
        {
            // A message the rule's patterns no longer match falls back to "named"; that means a reworded message.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var fallbacks = new List<string>();
            foreach (var sample in InMemoryAnalysis.Samples())
            {
                foreach (var diagnostic in await InMemoryAnalysis.AnalyzeSampleAsync(sample))
                {
                    seen.Add(diagnostic.Id);
                    var cause = RootCauses.Of(diagnostic.Id, diagnostic.GetMessage());
                    if (cause == null || cause.Kind == "named")
                    {
                        fallbacks.Add(diagnostic.Id + ": " + diagnostic.GetMessage());
                    }
                }
            }

            Assert.True(seen.Count >= 12, "The samples should produce most rules; saw " + string.Join(", ", seen));
            Assert.True(fallbacks.Count == 0, "No rule-specific root cause for:\n" + string.Join("\n", fallbacks));
        }

        [Theory]
        [InlineData("Ownership.NativeMemoryLeak", "IG3001", "allocator", "Native.igs_alloc")]
        [InlineData("Ownership.WrongDeallocator", "IG3002", "allocator", "Native.igs_alloc")]
        [InlineData("Ownership.UseAfterRelease", "IG3003", "release", "Native.igs_free")]
        [InlineData("Ownership.GCHandleLeak", "IG3004", "allocator", "GCHandle.Alloc")]
        [InlineData("Ownership.SafeHandleLeak", "IG3005", "source", "Native.igs_handle_open")]
        [InlineData("Ownership.RawHandleField", "IG3007", "release function", "igs_handle_close")]
        [InlineData("Marshalling.LastError", "IG4001", "P/Invoke without SetLastError", "Native.open_config")]
        [InlineData("Marshalling.LastError", "IG4002", "overwritten by", "Program.Log")]
        [InlineData("Lifetime.CollectedCallback", "IG1002", "native function", "Native.igs_register_callback")]
        [InlineData("Pinning.ManagedReferences", "IG2004", "type", "Options")]
        public async Task TheSamplesNameTheirRootCause(string sample, string ruleId, string kind, string name)
        {
            var messages = (await InMemoryAnalysis.AnalyzeSampleAsync(sample))
                .Where(d => d.Id == ruleId)
                .Select(d => d.GetMessage())
                .ToList();
            Assert.NotEmpty(messages);
            Assert.Contains(new RootCause(ruleId, kind, name), messages.Select(m => RootCauses.Of(ruleId, m)));
        }

        [Fact]
        public void AMessageOfAnUnknownRuleFallsBackToItsFirstQuotedName()
        {
            // Not an analyzer's message: the point is only that a future rule's finding still lands in a group.
            Assert.Equal(new RootCause("IG9999", "named", "x.y"), RootCauses.Of("IG9999", "Something about 'x.y' and 'z'"));
            Assert.Null(RootCauses.Of("IG9999", "nothing quoted"));
        }

        [Fact]
        public void GroupsAreOrderedLargestFirstThenByRuleAndName()
        {
            var findings = new[]
            {
                new Finding("IG3001", "warning", "Native memory from 'b' in 'x' is not released by 'f' if 'g()' throws", "/a.cs", 1, 1, false),
                new Finding("IG3001", "warning", "Native memory from 'a' in 'x' is not released by 'f' if 'g()' throws", "/a.cs", 2, 1, false),
                new Finding("IG3001", "warning", "Native memory from 'b' in 'y' is not released by 'f' if 'g()' throws", "/b.cs", 3, 1, false),
            };
            var groups = RootCauses.Group(findings);
            Assert.Equal(new[] { "b", "a" }, groups.Select(g => g.Cause.Name));
            Assert.Equal(2, groups[0].FileCount);
        }

        internal static Finding ToFinding(Diagnostic d)
        {
            var span = d.Location.GetLineSpan();
            return new Finding(d.Id, "warning", d.GetMessage(), span.Path ?? string.Empty, span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1, d.IsSuppressed);
        }
    }
}
