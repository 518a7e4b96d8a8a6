using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Interop;
using InteropGuard.Tests.Robustness;
using InteropGuard.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Tests.Interop
{
    /// <summary>
    /// The ownership gate's declared functions (<see cref="AllocationCandidates.Words"/>): which P/Invokes can hand out a
    /// resource, read from their declarations. own18 tried reading a declaration only where the tree's identifier record
    /// names an allocator, a handle type or a ...Handle name in its span (not kept: reading the records of the P/Invoke
    /// trees cost more than it saved); these cases pin the answers such a gate must keep, among them the ones the record
    /// cannot vouch for (an escape, a comment marker inside a string). own20 tried such a gate again over the records
    /// the vocabulary's first pass keeps (not kept either: no gain shown); its three hidden cases stay.
    /// </summary>
    public class DeclaredResourceFunctionsTests
    {
        [Theory]
        // By the allocator's name, by the entry point's string, by a handle type returned or passed out.
        [InlineData("[Import(\"c\", EntryPoint = \"malloc\")] static EXTERN IntPtr make_buffer(UIntPtr n);", true)]
        [InlineData("[Import(\"c\", EntryPoint = @\"malloc\")] static EXTERN IntPtr make_buffer(UIntPtr n);", true)]
        [InlineData("[Import(\"c\")] static EXTERN BufferHandle make_buffer(int n);", true)]
        [InlineData("[Import(\"c\")] static EXTERN Buffer make_buffer(int n);", true)]
        [InlineData("[Import(\"c\")] static EXTERN Buffer? make_buffer(int n);", true)]
        [InlineData("[Import(\"c\")] static EXTERN int make_buffer(out Buffer buffer);", true)]
        [InlineData("[Import(\"c\")] static EXTERN int make_buffer(ref global::Lib.Buffer buffer);", true)]
        [InlineData("[Import(\"c\")] static EXTERN int make_buffer(int n, out SafeFileHandle file);", true)]
        // The record cannot vouch: an escape spells the entry point, a comment marker in a string hides it from the reader.
        [InlineData("[Import(\"c\", EntryPoint = \"mal\\u006Coc\")] static EXTERN IntPtr make_buffer(UIntPtr n);", true)]
        [InlineData("[Import(\"http://c\", EntryPoint = \"malloc\")] static EXTERN IntPtr make_buffer(UIntPtr n);", true)]
        [InlineData("[Import(\"c/*\", EntryPoint = \"malloc\")] static EXTERN IntPtr make_buffer(UIntPtr n); // */", true)]
        // The same hidden from the record's reader while the function's name stays a run: on the declaration's next line, or
        // hidden by a string earlier on its first line; and a name the '/*' of an earlier declaration's string hides.
        [InlineData("[Import(\"http://c\", EntryPoint = \"malloc\")]\n    static EXTERN IntPtr make_buffer(UIntPtr n);", true)]
        [InlineData("[Import(\"http://c\")] static EXTERN void other(); [Import(\"c\", EntryPoint = \"malloc\")]\n    static EXTERN IntPtr make_buffer(UIntPtr n);", true)]
        [InlineData("[Import(\"c/*\")] static EXTERN void other();\n    [Import(\"c\", EntryPoint = \"malloc\")] static EXTERN IntPtr make_buffer(UIntPtr n); // */", true)]
        // Look-alikes: the words only in a comment or inside a longer string, a handle type only taken by value.
        [InlineData("/// <summary>malloc, Buffer, BufferHandle</summary>\n    [Import(\"c\")] static EXTERN IntPtr make_buffer(UIntPtr n);", false)]
        [InlineData("[Import(\"c\", EntryPoint = \"malloc_usable_size\")] static EXTERN UIntPtr make_buffer(IntPtr p);", false)]
        [InlineData("[Import(\"c\")] static EXTERN int make_buffer(Buffer buffer); // returns a malloc'd Buffer", false)]
        [InlineData("[Import(\"c\")] static EXTERN int make_buffer(BufferHandle buffer);", false)]
        public void APInvokeHandsOutAResourceWhenItsDeclarationSays(string declaration, bool handsOut)
        {
            // Spelt apart in the cases, so that the robustness harvest does not take each declaration for a program.
            declaration = declaration.Replace("[Import(", "[DllImport(", System.StringComparison.Ordinal).Replace("EXTERN", "extern", System.StringComparison.Ordinal);
            var source = "using System;\nusing System.Runtime.InteropServices;\nusing Microsoft.Win32.SafeHandles;\nnamespace Lib\n{\n"
                         + "class Buffer : SafeHandleZeroOrMinusOneIsInvalid\n{\n    public Buffer() : base(true) { }\n    protected override bool ReleaseHandle() => true;\n}\n"
                         + "struct BufferHandle { }\n"
                         + "static class Native\n{\n    " + declaration + "\n}\n}\n";
            var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), TestProject.SourcePath(0));
            var words = DeclaredWords(tree);
            Assert.Equal(handsOut, words.Contains("make_buffer"));
            Assert.True(words.Contains("Buffer"), "the handle type declared here");
        }

        [Theory]
        [InlineData("Microsoft.Interop.LibraryImportGenerator/Microsoft.Interop.LibraryImportGenerator/LibraryImports.g.cs", false)]
        [InlineData("MyGenerator/MyGenerator.Stubs/LibraryImports.g.cs", true)]
        [InlineData("Microsoft.Interop.LibraryImportGenerator/Microsoft.Interop.LibraryImportGenerator/MoreImports.g.cs", true)]
        public void TheSdksLibraryImportStubsAddNoFunction(string path, bool read)
        {
            // The SDK's one stub file implements the [LibraryImport] declarations, which are read themselves; the
            // generator's bodies call only __PInvoke and marshaller members. Here its body calls an allocator, which a
            // generator never writes: the stub is not read. The same text in any other file is a method like any other.
            const string declarations = "using System;\nusing System.Runtime.InteropServices;\nnamespace Lib\n{\n"
                + "static partial class Native\n{\n    [LibraryImport(\"c\")] public static partial IntPtr open_buffer(int n);\n}\n}\n";
            const string stubs = "using System;\nusing System.Runtime.InteropServices;\nnamespace Lib\n{\n"
                + "static partial class Native\n{\n    public static partial IntPtr open_buffer(int n) => Marshal.AllocHGlobal(n);\n}\n}\n";
            var options = new CSharpParseOptions(LanguageVersion.Latest);
            var user = CSharpSyntaxTree.ParseText(declarations, options, TestProject.SourcePath(0));
            var generated = CSharpSyntaxTree.ParseText(stubs, options, path);
            Assert.Equal(read, DeclaredWords(user, generated).Contains("open_buffer"));
        }

        // The gate's words for a compilation of these trees (which must compile), in the scope of the first.
        private static System.Collections.Generic.List<string> DeclaredWords(params SyntaxTree[] trees)
        {
            var compilation = CSharpCompilation.Create(
                "Declared",
                trees,
                ReferenceAssemblies.Framework,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
            Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            var context = InteropContext.Create(compilation, new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, EditorConfigOptions.Empty));
            return new AllocationCandidates(compilation, context.Vocabulary).Words(context.ForTree(trees[0])).ToList();
        }

        [Fact]
        public void EveryAllocatorNameIsOneRunOfTheRecord()
        {
            // An entry-point string is found by the record as one run: a name with another character would need the text.
            foreach (var name in AllocationCatalogue.KnownAllocatorNames)
            {
                Assert.True(name.Length > 0 && name.All(c => c < 128 && (char.IsLetterOrDigit(c) || c == '_')), name);
            }
        }
    }
}
