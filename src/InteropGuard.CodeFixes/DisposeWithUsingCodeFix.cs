using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using InteropGuard.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace InteropGuard.CodeFixes
{
    /// <summary>IG3005 fix: dispose the SafeHandle with <c>using</c> (see <see cref="UsingRewrite"/>).</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DisposeWithUsingCodeFix))]
    [Shared]
    public sealed class DisposeWithUsingCodeFix : DocumentRewriteCodeFix
    {
        internal const string EquivalenceKey = "IG3005.Using";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.SafeHandleNotDisposed.Id);

        internal override (string Title, string EquivalenceKey)? Describe(SyntaxNode root, Diagnostic diagnostic)
        {
            var request = FixRequest.From(root, diagnostic, OwnershipAnalyzer.UsingFixableProperty);
            if (request == null || UsingRewrite.Rewrite(root, request) == null)
            {
                return null;
            }

            return ("Dispose '" + request.Variable + "' with using", EquivalenceKey);
        }

        internal override Task<Document> RewriteAsync(Document document, System.Collections.Generic.IReadOnlyList<Diagnostic> diagnostics, CancellationToken cancellationToken)
            => AnnotatedRewrites.ApplyAsync(
                document,
                diagnostics,
                (root, diagnostic) => FixRequest.From(root, diagnostic, OwnershipAnalyzer.UsingFixableProperty),
                UsingRewrite.Rewrite,
                cancellationToken);
    }
}
