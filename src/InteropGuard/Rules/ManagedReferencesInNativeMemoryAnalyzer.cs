using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Flow;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Rules
{
    /// <summary>
    /// IG2004: a pointer to memory that holds managed references (<c>&amp;x</c>, <c>Unsafe.AsPointer(ref x)</c> or a
    /// <c>fixed</c> pointer of a non-unmanaged type) that reaches a native call, directly or through a managed wrapper;
    /// and <c>GCHandle.Alloc(x, GCHandleType.Pinned)</c> of an object whose layout holds references, which throws.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class ManagedReferencesInNativeMemoryAnalyzer : DiagnosticAnalyzer
    {
        private const int PinnedHandleType = 3;
        private const int MaxUses = 64;

        private const string NativeConsequence = "the GC does not see references in native memory, so it may move or collect the objects they point to while native code still uses them";
        private const string PinConsequence = "GCHandle.Alloc throws ArgumentException ('Object contains references.') at run time";

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.ManagedReferencesInNativeMemory);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var interop = InteropContext.For(start.Compilation, start.Options);

                // Pointers and '&' exist only in unsafe code; the other sources are Unsafe.AsPointer and pinned GCHandles. Stack
                // memory (stackalloc, InteropWords.StackMemory) holds no managed reference: the compiler allows only unmanaged types.
                if (!interop.Vocabulary.CompilationUses(InteropWords.UnsafeCode | InteropWords.AddressOf | InteropWords.Pinning))
                {
                    return;
                }

                // Per body, and only in trees that name one of those and bodies whose text holds '&', a fixed statement or the
                // name of a call judged here: every invocation and declarator elsewhere costs nothing.
                var gateText = new TreeTextPositions("&", "fixed", "AsPointer", "Alloc");
                WordTreeActions.RegisterOperationBlockStartAction(start, interop.Vocabulary, words => (words & (InteropWords.UnsafeCode | InteropWords.AddressOf | InteropWords.Pinning)) != 0, block =>
                {
                    var tree = block.OperationBlocks[0].Syntax.SyntaxTree;
                    if (!interop.Vocabulary.TreeUses(tree, InteropWords.UnsafeCode | InteropWords.AddressOf | InteropWords.Pinning)
                        || !AnyBlockMayHold(gateText, tree, block.OperationBlocks))
                    {
                        return;
                    }

                    block.RegisterOperationAction(operation => AnalyzeAddressOf(interop, operation), OperationKind.AddressOf);
                    block.RegisterOperationAction(operation => AnalyzeInvocation(interop, operation), OperationKind.Invocation);
                    block.RegisterOperationAction(operation => AnalyzeFixedDeclarator(interop, operation), OperationKind.VariableDeclarator);
                });
            });
        }

        /// <summary>
        /// Can the text of one of the blocks hold one of the gate's words? A loop: a lambda capturing the tree made a closure
        /// for every body of the trees that name the words.
        /// </summary>
        private static bool AnyBlockMayHold(TreeTextPositions gateText, SyntaxTree tree, ImmutableArray<IOperation> blocks)
        {
            foreach (var block in blocks)
            {
                if (gateText.SpanMayHold(tree, block.Syntax.Span))
                {
                    return true;
                }
            }

            return false;
        }

        private static void AnalyzeAddressOf(InteropContext interop, OperationAnalysisContext context)
        {
            var addressOf = (IAddressOfOperation)context.Operation;
            if (IsFixedInitializer(addressOf.Syntax))
            {
                return;
            }

            var why = ManagedReferenceLayouts.ReferencesInPlace(addressOf.Reference.Type);
            if (why == null)
            {
                return;
            }

            ReportIfReachesNative(interop, context, addressOf, "The pointer '" + addressOf.Syntax + "'", why);
        }

        private static void AnalyzeInvocation(InteropContext interop, OperationAnalysisContext context)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var method = invocation.TargetMethod;
            if (method.Name == "AsPointer" && method.IsGenericMethod && invocation.Arguments.Length == 1
                && SymbolEqualityComparer.Default.Equals(method.ContainingType, interop.Types.Unsafe))
            {
                // Refs into arrays and object fields are unpinned addresses: IG2002's finding, reported once, there.
                var reference = invocation.Arguments[0].Value;
                if (reference is IArrayElementReferenceOperation || reference is IInvocationOperation
                    || reference is IFieldReferenceOperation { Instance.Type.IsReferenceType: true })
                {
                    return;
                }

                var why = ManagedReferenceLayouts.ReferencesInPlace(method.TypeArguments[0]);
                if (why != null)
                {
                    ReportIfReachesNative(interop, context, invocation, "The pointer '" + invocation.Syntax + "'", why);
                }

                return;
            }

            if (method.Name == "Alloc" && invocation.Arguments.Length == 2 && interop.Types.GCHandle != null
                && SymbolEqualityComparer.Default.Equals(method.ContainingType, interop.Types.GCHandle))
            {
                var kind = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1)?.Value;
                var target = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value;
                if (kind == null || target == null || !kind.ConstantValue.HasValue || !(kind.ConstantValue.Value is int value) || value != PinnedHandleType)
                {
                    return;
                }

                var pinned = OperationTree.SkipConversions(target);
                if (pinned.Type == null)
                {
                    return;
                }

                var why = ManagedReferenceLayouts.WhyNotPinnable(pinned.Type);
                if (why != null)
                {
                    context.ReportDiagnostic(Diagnostic.Create(
                        Descriptors.ManagedReferencesInNativeMemory,
                        invocation.Syntax.GetLocation(),
                        "'GCHandle.Alloc' with GCHandleType.Pinned",
                        "pins " + MarshalledBuffers.Name(pinned) + " of type '" + ManagedReferenceLayouts.Display(pinned.Type) + "'",
                        why,
                        PinConsequence));
                }
            }
        }

        /// <summary>
        /// <c>fixed (T* p = array)</c> and <c>fixed (T* p = &amp;obj.field)</c> with a non-unmanaged T: p points at references.
        /// (The initializer of a fixed statement is not an ordinary operation, so it is read from syntax.)
        /// </summary>
        private static void AnalyzeFixedDeclarator(InteropContext interop, OperationAnalysisContext context)
        {
            var declarator = (IVariableDeclaratorOperation)context.Operation;
            if (!declarator.Symbol.IsFixed || declarator.Symbol.Type is not IPointerTypeSymbol pointer
                || declarator.Syntax is not VariableDeclaratorSyntax { Initializer.Value: { } initializer } || declarator.SemanticModel == null)
            {
                return;
            }

            // Most fixed pointers are to bytes or other types without references: asked first, before the initializer's type.
            var why = ManagedReferenceLayouts.ReferencesInPlace(pointer.PointedAtType);
            if (why == null)
            {
                return;
            }

            string what;
            if (initializer is PrefixUnaryExpressionSyntax addressOf && addressOf.IsKind(SyntaxKind.AddressOfExpression))
            {
                what = "The pointer '" + initializer + "'";
            }
            else if (declarator.SemanticModel.GetTypeInfo(initializer, context.CancellationToken).Type is IArrayTypeSymbol)
            {
                // Spans and custom GetPinnableReference types could view anything: only arrays are judged.
                what = "The fixed pointer '" + declarator.Symbol.Name + "'";
            }
            else
            {
                return;
            }

            var native = FindNativeUse(interop, context, new[] { declarator.Symbol }, OperationTree.Root(declarator));
            if (native != null)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.ManagedReferencesInNativeMemory, initializer.GetLocation(), what, "reaches " + native, why, NativeConsequence));
            }
        }

        private static bool IsFixedInitializer(SyntaxNode syntax)
            => syntax.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: FixedStatementSyntax } } };

        private static void ReportIfReachesNative(InteropContext interop, OperationAnalysisContext context, IOperation origin, string what, string why)
        {
            var scope = interop.ForTree(origin.Syntax.SyntaxTree);
            var uses = new ValueUses(interop, scope);
            var use = uses.Classify(origin);
            string? native = NativeOf(interop, use);
            if (native == null && use.Kind == ValueUseKind.Copy && use.CopyTarget is ILocalSymbol local)
            {
                native = FindNativeUse(interop, context, new[] { local }, OperationTree.Root(origin));
            }

            if (native != null)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.ManagedReferencesInNativeMemory, origin.Syntax.GetLocation(), what, "reaches " + native, why, NativeConsequence));
            }
        }

        /// <summary>Follows copies of the pointer through locals (and casts, arithmetic, IntPtr) to the first native call.</summary>
        private static string? FindNativeUse(InteropContext interop, OperationAnalysisContext context, IEnumerable<ILocalSymbol> start, IOperation root)
        {
            var scope = interop.ForTree(root.Syntax.SyntaxTree);
            var uses = new ValueUses(interop, scope);
            var pending = new Queue<ILocalSymbol>(start);
            var seen = new HashSet<ILocalSymbol>(pending, SymbolEqualityComparer.Default);
            var references = root.Descendants().OfType<ILocalReferenceOperation>().ToList();
            var budget = MaxUses;
            while (pending.Count > 0)
            {
                var local = pending.Dequeue();
                foreach (var reference in references)
                {
                    if (!SymbolEqualityComparer.Default.Equals(reference.Local, local) || budget-- <= 0)
                    {
                        continue;
                    }

                    context.CancellationToken.ThrowIfCancellationRequested();
                    var use = uses.Classify(reference);
                    var native = NativeOf(interop, use);
                    if (native != null)
                    {
                        return native;
                    }

                    if (use.Kind == ValueUseKind.Copy && use.CopyTarget is ILocalSymbol copy && seen.Add(copy))
                    {
                        pending.Enqueue(copy);
                    }
                }
            }

            return null;
        }

        /// <summary>"'Native.f'", "'Native.f' through 'Wrapper.M'" or "a 'delegate* unmanaged' call" when the use hands the value to native code.</summary>
        private static string? NativeOf(InteropContext interop, ValueUse use)
        {
            var site = use.Site;
            if (site is IInvocationOperation invocation)
            {
                var function = HeldNativeFunctions.Of(interop).CalledBy(invocation);
                if (function != null)
                {
                    return "native code through '" + function + "'";
                }

                if (interop.NativeFunctions.IsNativeTransition(invocation))
                {
                    return "native code through the unmanaged delegate '" + invocation.TargetMethod.ContainingType?.Name + "'";
                }

                if (use.NativeTarget is { } target)
                {
                    return "native code through '" + target.Function + "' (called by '" + invocation.TargetMethod.ContainingType?.Name + "." + invocation.TargetMethod.Name + "')";
                }

                return null;
            }

            if (site is IFunctionPointerInvocationOperation pointerCall && interop.NativeFunctions.IsNativeTransition(pointerCall))
            {
                return "native code through a 'delegate* unmanaged' call";
            }

            return null;
        }

    }
}
