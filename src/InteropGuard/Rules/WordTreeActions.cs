using System;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace InteropGuard.Rules
{
    /// <summary>
    /// Registers a rule's per-body action so that, when only a few trees of a compilation name the rule's words, the
    /// bodies of the other trees cost no callback at all: the action is registered per type, for the types declared in a
    /// tree that names them. The rule's own per-body test still decides; this only spares the calls it would answer "no".
    /// A rule whose words are not the vocabulary's (names found at run time) gives its own per-tree test instead: it must
    /// answer true for every tree in which some body can pass the rule's per-body test.
    /// </summary>
    /// <remarks>
    /// Why: a compilation-wide body action is called for every body of the compilation. On a library that names a pinning
    /// word in one or two files (Humanizer: <c>fixed</c> in one file, <c>unsafe</c> bit casts in another) IG2001 and IG2004
    /// were each called for its 3,300 bodies to say "not this tree". Per type, the driver asks once per type. The same
    /// holds on bindings for the rules whose words few of their trees name: IG3006's DangerousGetHandle/DangerousAddRef and
    /// IG2002's address-taking APIs are named in 1 or 2 of OpenCvSharp's 850 files and TorchSharp's 331.
    /// A nested type does not inherit the actions its containing type registers (the driver gives it a start of its own),
    /// so each type asks for itself; top-level statements are reached through their program type's start (tests hold
    /// both). A compilation where more than a quarter of the trees name the words (a binding) keeps the compilation-wide registration: there
    /// one more call per type would buy nothing.
    /// </remarks>
    internal static class WordTreeActions
    {
        public static void RegisterCodeBlockAction(
            CompilationStartAnalysisContext start, InteropVocabulary vocabulary, Func<InteropWords, bool> treeMayMatter, Action<CodeBlockAnalysisContext> action)
            => Register(start, vocabulary, treeMayMatter, whole => whole.RegisterCodeBlockAction(action), type => type.RegisterCodeBlockAction(action));

        public static void RegisterOperationBlockStartAction(
            CompilationStartAnalysisContext start, InteropVocabulary vocabulary, Func<InteropWords, bool> treeMayMatter, Action<OperationBlockStartAnalysisContext> action)
            => Register(start, vocabulary, treeMayMatter, whole => whole.RegisterOperationBlockStartAction(action), type => type.RegisterOperationBlockStartAction(action));

        public static void RegisterOperationBlockAction(
            CompilationStartAnalysisContext start, InteropVocabulary vocabulary, Func<InteropWords, bool> treeMayMatter, Action<OperationBlockAnalysisContext> action)
            => Register(start, vocabulary, treeMayMatter, whole => whole.RegisterOperationBlockAction(action), type => type.RegisterOperationBlockAction(action));

        public static void RegisterOperationBlockAction(
            CompilationStartAnalysisContext start, Func<SyntaxTree, bool> treeMayMatter, Action<OperationBlockAnalysisContext> action)
            => Register(start, treeMayMatter, whole => whole.RegisterOperationBlockAction(action), type => type.RegisterOperationBlockAction(action));

        public static void RegisterOperationAction(
            CompilationStartAnalysisContext start, InteropVocabulary vocabulary, Func<InteropWords, bool> treeMayMatter, Action<OperationAnalysisContext> action,
            params OperationKind[] kinds)
            => Register(start, vocabulary, treeMayMatter, whole => whole.RegisterOperationAction(action, kinds), type => type.RegisterOperationAction(action, kinds));

        private static void Register(
            CompilationStartAnalysisContext start, InteropVocabulary vocabulary, Func<InteropWords, bool> treeMayMatter,
            Action<CompilationStartAnalysisContext> forTheCompilation, Action<SymbolStartAnalysisContext> forAType)
            => Register(start, tree => treeMayMatter(vocabulary.Of(tree)), forTheCompilation, forAType);

        private static void Register(
            CompilationStartAnalysisContext start, Func<SyntaxTree, bool> treeMayMatter,
            Action<CompilationStartAnalysisContext> forTheCompilation, Action<SymbolStartAnalysisContext> forAType)
        {
            if (!PerType(start.Compilation, treeMayMatter))
            {
                forTheCompilation(start);
                return;
            }

            start.RegisterSymbolStartAction(
                type =>
                {
                    if (DeclaredInATreeThatMatters(type.Symbol, treeMayMatter))
                    {
                        forAType(type);
                    }
                },
                SymbolKind.NamedType);
        }

        // Per type when at most a quarter of the trees matter.
        private static bool PerType(Compilation compilation, Func<SyntaxTree, bool> treeMayMatter)
        {
            var trees = 0;
            var matter = 0;
            foreach (var tree in compilation.SyntaxTrees)
            {
                trees++;
                if (treeMayMatter(tree))
                {
                    matter++;
                }
            }

            return matter * 4 <= trees;
        }

        private static bool DeclaredInATreeThatMatters(ISymbol type, Func<SyntaxTree, bool> treeMayMatter)
        {
            foreach (var location in type.Locations)
            {
                if (location.SourceTree is { } tree && treeMayMatter(tree))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
