using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using InteropGuard.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;

namespace InteropGuard.CodeFixes
{
    /// <summary>
    /// IG4003 fixes: state how the bool is marshalled. First (what <c>dotnet format</c> applies) the one-byte C
    /// <c>bool</c>, <c>[MarshalAs(UnmanagedType.U1)]</c>, which is what a non-Windows library's <c>bool</c> is; second the
    /// 4-byte Win32 <c>BOOL</c>, <c>[MarshalAs(UnmanagedType.Bool)]</c>, which keeps today's behaviour and documents it.
    /// On the return value the attribute is <c>[return: MarshalAs(...)]</c>.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(BoolMarshallingCodeFix))]
    [Shared]
    public sealed class BoolMarshallingCodeFix : DocumentRewriteCodeFix
    {
        internal const string OneByteKey = "IG4003.MarshalAsU1";
        internal const string Win32BoolKey = "IG4003.MarshalAsBool";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.BoolWithoutMarshalAs.Id);

        internal override IEnumerable<FixAction> Describe(AnalyzedDocument document, Diagnostic diagnostic)
        {
            if (Target(document.Root, diagnostic) != null)
            {
                yield return new FixAction("Marshal as a 1-byte C bool: [MarshalAs(UnmanagedType.U1)]", OneByteKey);
                yield return new FixAction("Marshal as a 4-byte Win32 BOOL: [MarshalAs(UnmanagedType.Bool)]", Win32BoolKey);
            }
        }

        internal override Task<Document> RewriteAsync(AnalyzedDocument document, IReadOnlyList<Diagnostic> diagnostics, string? equivalenceKey)
        {
            var kind = equivalenceKey == Win32BoolKey ? "Bool" : "U1";
            var targets = diagnostics.Select(d => Target(document.Root, d)).Where(t => t != null).Select(t => t!).Distinct().ToList();
            var rewritten = document.Root.ReplaceNodes(targets, (original, current) => current switch
            {
                MethodDeclarationSyntax method => WithReturnAttribute(method, MarshalAs(kind, returnTarget: true)),
                _ => current,
            });
            return document.WithRootAsync(rewritten);
        }

        /// <summary>
        /// The return attribute goes after the method's last attribute list, on a line of its own when that list ends its
        /// line (indented like the declaration), else on the same line.
        /// </summary>
        private static MethodDeclarationSyntax WithReturnAttribute(MethodDeclarationSyntax method, AttributeListSyntax list)
        {
            if (method.AttributeLists.Count == 0)
            {
                return method.WithAttributeLists(SyntaxFactory.SingletonList(list.WithTrailingTrivia(SyntaxFactory.Space)));
            }

            var last = method.AttributeLists.Last();
            var endsLine = last.GetTrailingTrivia().Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
            var next = last.GetLastToken().GetNextToken();
            var indentation = next.LeadingTrivia.Reverse().TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse();
            list = endsLine
                ? list.WithLeadingTrivia(indentation).WithTrailingTrivia(last.GetTrailingTrivia())
                : list.WithTrailingTrivia(SyntaxFactory.Space);
            return method.WithAttributeLists(method.AttributeLists.Add(list));
        }

        /// <summary>The method (for the return value) or the parameter the diagnostic is about.</summary>
        private static SyntaxNode? Target(SyntaxNode root, Diagnostic diagnostic)
        {
            if (!diagnostic.Properties.TryGetValue(BoolMarshallingAnalyzer.TargetProperty, out var target))
            {
                return null;
            }

            var type = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            return target == BoolMarshallingAnalyzer.ReturnTarget && type.Parent is MethodDeclarationSyntax method && method.ReturnType == type ? method : null;
        }

        private static AttributeListSyntax MarshalAs(string kind, bool returnTarget)
        {
            var attribute = SyntaxFactory.Attribute(
                SyntaxFactory.ParseName("global::System.Runtime.InteropServices.MarshalAs"),
                SyntaxFactory.ParseAttributeArgumentList("(global::System.Runtime.InteropServices.UnmanagedType." + kind + ")"));
            var list = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute));
            if (returnTarget)
            {
                list = list.WithTarget(SyntaxFactory.AttributeTargetSpecifier(SyntaxFactory.Token(SyntaxKind.ReturnKeyword), SyntaxFactory.Token(SyntaxKind.ColonToken).WithTrailingTrivia(SyntaxFactory.Space)));
            }

            return list.WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
        }
    }
}
