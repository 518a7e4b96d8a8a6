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
    /// IG2002: the address of movable managed memory is taken without pinning it — <c>Unsafe.AsPointer</c> of a ref into
    /// an array, a class field or an array/string-backed span; <c>Marshal.UnsafeAddrOfPinnedArrayElement</c> of a fresh
    /// array nothing pins; <c>AddrOfPinnedObject</c> of a handle visibly allocated without <c>GCHandleType.Pinned</c>.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class UnpinnedAddressAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>Diagnostic property: "Fixed" (wrap in a fixed statement) or "PinnedHandle" (allocate the handle as Pinned).</summary>
        internal const string FixProperty = "Fix";

        /// <summary>Diagnostic property: "Pointer" (replace the call by the pointer) or "IntPtr" (by the pointer cast to IntPtr).</summary>
        internal const string ReplacementProperty = "Replacement";

        /// <summary>Diagnostic property: "true" when the containing member must become <c>unsafe</c>.</summary>
        internal const string NeedsUnsafeProperty = "NeedsUnsafe";

        /// <summary>Diagnostic property: "true" when the expression-bodied method or local function must first get a block body.</summary>
        internal const string ExpressionBodyProperty = "ExpressionBody";

        internal const string FixedFix = "Fixed";
        internal const string PinnedHandleFix = "PinnedHandle";

        private const int GCHandleTypeWeak = 0;
        private const int GCHandleTypeWeakTrackResurrection = 1;

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.UnpinnedAddress);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var interop = InteropContext.For(start.Compilation, start.Options);
                if (!interop.Vocabulary.CompilationUses(InteropWords.AddressOf))
                {
                    return;
                }

                var origins = new ManagedMemoryOrigins(interop.Types);

                var allowUnsafe = start.Compilation.Options is CSharpCompilationOptions { AllowUnsafe: true };
                WordTreeActions.RegisterOperationBlockStartAction(start, interop.Vocabulary, UsesAddressOf, block =>
                {
                    if (interop.Vocabulary.TreeUses(block.OperationBlocks[0].Syntax.SyntaxTree, InteropWords.AddressOf))
                    {
                        block.RegisterOperationAction(op => Analyze(interop, origins, allowUnsafe, op), OperationKind.Invocation);
                    }
                });
            });
        }

        private static bool UsesAddressOf(InteropWords words) => (words & InteropWords.AddressOf) != 0;

        private static void Analyze(InteropContext interop, ManagedMemoryOrigins origins, bool allowUnsafe, OperationAnalysisContext context)
        {
            var call = (IInvocationOperation)context.Operation;
            var method = call.TargetMethod;
            switch (method.Name)
            {
                case "AsPointer" when SymbolEqualityComparer.Default.Equals(method.ContainingType, origins.Unsafe) && call.Arguments.Length == 1:
                    AnalyzeAsPointer(interop, origins, call, context);
                    break;
                case "UnsafeAddrOfPinnedArrayElement" when SymbolEqualityComparer.Default.Equals(method.ContainingType, interop.Types.Marshal) && call.Arguments.Length == 2:
                    AnalyzeUnsafeAddr(interop, origins, allowUnsafe, call, context);
                    break;
                case "AddrOfPinnedObject" when SymbolEqualityComparer.Default.Equals(method.ContainingType, interop.Types.GCHandle) && call.Instance != null:
                    AnalyzeAddrOfPinnedObject(interop, call, context);
                    break;
            }
        }

        private static void AnalyzeAsPointer(InteropContext interop, ManagedMemoryOrigins origins, IInvocationOperation call, OperationAnalysisContext context)
        {
            var reference = call.Arguments[0].Value;
            var origin = origins.OfReference(reference);

            // A referent holding object references is IG2004's finding (the GC does not see the native copy): one report.
            if (reference.Type is not { IsUnmanagedType: true } || !origin.IsMovable || origin.Owner == null || !IsNamedOrFresh(origin.Owner)
                || PinningScopes.IsPinnedAt(call, origin.Owner, interop.Types, origins))
            {
                return;
            }

            var owner = OwnerText(origin);
            var what = origin.Kind switch
            {
                MemoryOriginKind.Array => "array '" + owner + "'",
                MemoryOriginKind.String => "string '" + owner + "'",
                _ => "field '" + origin.Field!.Name + "' of '" + owner + "'",
            };
            var moved = origin.Kind == MemoryOriginKind.ClassField ? "the object '" + owner + "'" : "'" + owner + "'";
            var consequence = "a compacting GC can move " + moved + " while the pointer is in use, and reads and writes through it then hit whatever the GC put there";

            var properties = FixedProperties(origins, call, reference, origin, needsUnsafe: false);
            Report(context, call, properties, null, "Unsafe.AsPointer", what, PassedTo(interop, call), consequence);
        }

        private static void AnalyzeUnsafeAddr(InteropContext interop, ManagedMemoryOrigins origins, bool allowUnsafe, IInvocationOperation call, OperationAnalysisContext context)
        {
            var array = ManagedMemoryOrigins.Unwrap(call.Arguments[0].Value);
            if (array == null || !IsFreshUnpinnableArray(interop.Types, origins, call, array) || PinningScopes.IsPinnedAt(call, array, interop.Types, origins))
            {
                return;
            }

            var owner = array.Syntax.ToString();
            var origin = new MemoryOrigin(MemoryOriginKind.Array, array, null);
            var properties = allowUnsafe
                ? FixedProperties(origins, call, null, origin, needsUnsafe: !IsInUnsafeContext(call.Syntax))
                : null;
            Report(
                context,
                call,
                properties,
                null,
                "Marshal.UnsafeAddrOfPinnedArrayElement",
                "an element of array '" + owner + "'",
                PassedTo(interop, call),
                "no fixed statement or pinned GCHandle covers '" + owner + "' here, so a compacting GC can move it while the address is in use");
        }

        private static void AnalyzeAddrOfPinnedObject(InteropContext interop, IInvocationOperation call, OperationAnalysisContext context)
        {
            var handle = ManagedMemoryOrigins.Unwrap(call.Instance);
            var allocations = handle switch
            {
                ILocalReferenceOperation local => ManagedMemoryOrigins.ValuesOf(local.Local, OperationTree.Root(local)),
                IFieldReferenceOperation field => FieldAllocations(field, call),
                _ => null,
            };
            if (allocations == null || allocations.Count == 0)
            {
                return;
            }

            var kinds = new List<int>();
            foreach (var allocation in allocations)
            {
                if (ManagedMemoryOrigins.Unwrap(allocation) is not IInvocationOperation alloc
                    || PinningScopes.HandleTypeOf(alloc, interop.Types) is not { } kind || kind == PinningScopes.PinnedHandleType || kind == PinningScopes.UnknownHandleType)
                {
                    return;
                }

                kinds.Add(kind);
            }

            var name = handle!.Syntax.ToString();
            var kindName = kinds.Distinct().Count() == 1 ? KindName(kinds[0]) : "a handle type other than Pinned";
            var fixable = kinds.All(k => k == PinningScopes.NormalHandleType)
                && allocations.All(a => ManagedMemoryOrigins.Unwrap(a) is IInvocationOperation alloc && IsPinnable(ManagedMemoryOrigins.Unwrap(alloc.Arguments[0].Value)?.Type));
            var properties = fixable ? ImmutableDictionary<string, string?>.Empty.Add(FixProperty, PinnedHandleFix) : null;
            Report(
                context,
                call,
                properties,
                fixable ? allocations.Select(a => ManagedMemoryOrigins.Unwrap(a)!.Syntax.GetLocation()) : null,
                name + ".AddrOfPinnedObject",
                "the object of GCHandle '" + name + "'",
                PassedTo(interop, call),
                "'" + name + "' is allocated as " + kindName + ", not GCHandleType.Pinned, so the call throws InvalidOperationException and the object is free to move");
        }

        private static string KindName(int kind) => kind switch
        {
            GCHandleTypeWeak => "GCHandleType.Weak",
            GCHandleTypeWeakTrackResurrection => "GCHandleType.WeakTrackResurrection",
            PinningScopes.NormalHandleType => "GCHandleType.Normal",
            _ => "GCHandleType " + kind,
        };

        private static void Report(
            OperationAnalysisContext context,
            IInvocationOperation call,
            ImmutableDictionary<string, string?>? properties,
            IEnumerable<Location>? additional,
            string api,
            string what,
            string? passedTo,
            string consequence)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                Descriptors.UnpinnedAddress,
                call.Syntax.GetLocation(),
                additional,
                properties ?? ImmutableDictionary<string, string?>.Empty,
                api,
                what,
                passedTo == null ? string.Empty : " and passes it to '" + passedTo + "'",
                consequence));
        }

        /// <summary>The native function that directly receives the pointer (through conversions), for the message.</summary>
        private static string? PassedTo(InteropContext interop, IInvocationOperation call)
        {
            var current = OperationTree.WithEveryConversion(call);

            if (current.Parent is not IArgumentOperation { Parent: IInvocationOperation target } argument)
            {
                return null;
            }

            if (HeldNativeFunctions.Of(interop).CalledBy(target) is { } function)
            {
                return function.ToString();
            }

            // A managed wrapper that forwards the parameter to native code: name the native function behind it.
            if (argument.Parameter != null)
            {
                var targets = ParameterSummaries.Of(interop).Get(argument.Parameter.OriginalDefinition, interop.ForTree(call.Syntax.SyntaxTree), 0).NativeTargets.Targets;
                if (targets.Count > 0)
                {
                    return targets[0].Function.ToString();
                }
            }

            return null;
        }

        /// <summary>Only objects the method can name (or creates itself) can be judged pinned or not.</summary>
        private static bool IsNamedOrFresh(IOperation owner)
            => PinningScopes.KeyOf(owner) != null || owner is IArrayCreationOperation;

        private static string OwnerText(MemoryOrigin origin)
            => origin.Owner is IInstanceReferenceOperation ? "this" : origin.Owner!.Syntax.ToString();

        /// <summary>
        /// An array this method creates (a local given only array creations, or a creation in place) and hands to no API
        /// that could pin it behind the method's back. A field or parameter may be pinned by code we cannot see.
        /// </summary>
        private static bool IsFreshUnpinnableArray(WellKnownTypes types, ManagedMemoryOrigins origins, IOperation use, IOperation array)
        {
            if (IsArrayCreation(origins, array))
            {
                return true;
            }

            if (array is not ILocalReferenceOperation local)
            {
                return false;
            }

            var root = OperationTree.Root(use);
            return ManagedMemoryOrigins.ValuesOf(local.Local, root) is { Count: > 0 } values && values.All(v => IsArrayCreation(origins, v))
                && !root.Descendants().OfType<ILocalReferenceOperation>().Any(r => SymbolEqualityComparer.Default.Equals(r.Local, local.Local) && MayPinElsewhere(r, types));
        }

        /// <summary>Handed by ref, or to something that returns a handle or disposable (a pinning helper), or to a constructor.</summary>
        private static bool MayPinElsewhere(IOperation reference, WellKnownTypes types)
        {
            var current = OperationTree.WithEveryConversion(reference);

            if (current.Parent is not IArgumentOperation argument)
            {
                return false;
            }

            if (argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out)
            {
                return true;
            }

            switch (argument.Parent)
            {
                case IObjectCreationOperation:
                    return true;
                case IInvocationOperation invocation when PinningScopes.HandleTypeOf(invocation, types) != null:
                    // Seen by the pin analysis: a pinned handle pins (until freed), another kind does not.
                    return false;
                case IInvocationOperation invocation:
                    var returned = invocation.TargetMethod.ReturnType;
                    return IsAny(returned.OriginalDefinition, types.GCHandle, types.MemoryHandle, types.Memory, types.ReadOnlyMemory)
                        || returned.SpecialType == SpecialType.System_IDisposable || returned.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_IDisposable);
                default:
                    return false;
            }
        }

        private static bool IsAny(ITypeSymbol type, params INamedTypeSymbol?[] candidates)
            => candidates.Any(c => SymbolEqualityComparer.Default.Equals(type, c));

        private static bool IsArrayCreation(ManagedMemoryOrigins origins, IOperation? value)
        {
            value = ManagedMemoryOrigins.Unwrap(value);
            if (value is IArrayCreationOperation || value?.Kind == OperationKind.CollectionExpression && value.Type is IArrayTypeSymbol)
            {
                return true;
            }

            return value is IInvocationOperation call && SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, origins.GC)
                && (call.TargetMethod.Name == "AllocateArray" || call.TargetMethod.Name == "AllocateUninitializedArray")
                && !PinningScopes.IsPinnedHeapAllocation(call.Syntax)
                && call.Arguments.All(a => a.Parameter?.Name != "pinned" || a.ArgumentKind == ArgumentKind.DefaultValue || a.Value.ConstantValue.HasValue);
        }

        /// <summary>Every value a private field of this object is given, when all of them are visible in this tree.</summary>
        private static List<IOperation>? FieldAllocations(IFieldReferenceOperation reference, IOperation use)
        {
            var model = use.SemanticModel;
            if (model == null || (!reference.Field.IsStatic && reference.Instance is not IInstanceReferenceOperation)
                || ManagedMemoryOrigins.ValuesOf(reference.Field, model) is not { Complete: true } field)
            {
                return null;
            }

            var values = field.Values.Select(v => model.GetOperation(v)).OfType<IOperation>().ToList();
            return values.Count == field.Values.Count ? values : null;
        }

        /// <summary>Can GCHandle.Alloc(x, Pinned) pin a value of this static type without throwing? Arrays of unmanaged elements, strings, classes of unmanaged fields.</summary>
        private static bool IsPinnable(ITypeSymbol? type)
        {
            switch (type)
            {
                case IArrayTypeSymbol array:
                    return array.ElementType.IsUnmanagedType;
                case { SpecialType: SpecialType.System_String }:
                    return true;
                case INamedTypeSymbol { TypeKind: TypeKind.Class, IsSealed: true } named:
                    for (var t = named; t != null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
                    {
                        if (t.GetMembers().OfType<IFieldSymbol>().Any(f => !f.IsStatic && !f.IsConst && !f.Type.IsUnmanagedType))
                        {
                            return false;
                        }
                    }

                    return true;
                default:
                    return false;
            }
        }

        private static bool IsInUnsafeContext(SyntaxNode node)
            => node.Ancestors().Any(a => a is UnsafeStatementSyntax
                || (a is MemberDeclarationSyntax member && member.Modifiers.Any(SyntaxKind.UnsafeKeyword))
                || (a is LocalFunctionStatementSyntax local && local.Modifiers.Any(SyntaxKind.UnsafeKeyword)));

        /// <summary>
        /// The properties of a WrapInFixed fix, or null when wrapping the statement in <c>fixed</c> is not a safe rewrite:
        /// no statement to wrap, the pointer kept in a local, an async/iterator/lambda boundary, a pin target whose
        /// evaluation could have effects, or a pointed-to type that is not unmanaged.
        /// </summary>
        private static ImmutableDictionary<string, string?>? FixedProperties(ManagedMemoryOrigins origins, IInvocationOperation call, IOperation? reference, MemoryOrigin origin, bool needsUnsafe)
        {
            var model = call.SemanticModel;
            // The nearest statement (or expression body) of the same function as the call is what gets wrapped.
            var boundary = call.Syntax.Ancestors().FirstOrDefault(a => a is StatementSyntax || a is ArrowExpressionClauseSyntax || a is AnonymousFunctionExpressionSyntax);
            StatementSyntax? statement = null;
            SyntaxNode? function;
            var expressionBody = false;
            if (boundary is ArrowExpressionClauseSyntax { Parent: MethodDeclarationSyntax or LocalFunctionStatementSyntax } arrow)
            {
                function = arrow.Parent;
                expressionBody = true;
            }
            else if (boundary is StatementSyntax candidate && !(candidate is LocalFunctionStatementSyntax) && !(candidate is FixedStatementSyntax))
            {
                statement = candidate;
                function = statement.Ancestors().FirstOrDefault(a => a is AnonymousFunctionExpressionSyntax || a is LocalFunctionStatementSyntax || a is BaseMethodDeclarationSyntax || a is AccessorDeclarationSyntax || a is CompilationUnitSyntax);
            }
            else
            {
                return null;
            }

            if (model == null || function == null || IsAsyncOrIterator(model, function))
            {
                return null;
            }

            if (needsUnsafe && !(function is BaseMethodDeclarationSyntax || function is LocalFunctionStatementSyntax))
            {
                return null;
            }

            if (StoresPointer(call))
            {
                return null;
            }

            // What to pin, the pointed-to type, the pointer's name and the type of a split declaration are the fix's to
            // read from the semantic model at the call; here they only decide whether the rewrite is safe.
            if (statement is LocalDeclarationStatementSyntax declaration)
            {
                if (declaration.Declaration.Variables.Count != 1 || declaration.IsConst || declaration.UsingKeyword != default || declaration.Declaration.Type is RefTypeSyntax
                    || model.GetDeclaredSymbol(declaration.Declaration.Variables[0]) is not ILocalSymbol declared
                    || declared.Type.TypeKind == TypeKind.Error || declared.Type.IsAnonymousType || declared.Type.IsRefLikeType)
                {
                    return null;
                }
            }
            else if (!expressionBody && !(statement is ExpressionStatementSyntax || statement is ReturnStatementSyntax))
            {
                return null;
            }

            string? pinTarget;
            ITypeSymbol? pointed;
            if (call.TargetMethod.Name == "UnsafeAddrOfPinnedArrayElement")
            {
                var index = call.Arguments[1].Value;
                if (!IsSimple(origins, origin.Owner) || !IsSimple(origins, index) || origin.Owner?.Type is not IArrayTypeSymbol { Rank: 1 } arrayType)
                {
                    return null;
                }

                pointed = arrayType.ElementType;
                pinTarget = index.ConstantValue is { HasValue: true, Value: 0 } ? origin.Owner.Syntax.ToString() : "&" + origin.Owner.Syntax + "[" + index.Syntax + "]";
            }
            else
            {
                (pinTarget, pointed) = AsPointerTarget(origins, ManagedMemoryOrigins.Unwrap(reference));
                if (pinTarget == null || pointed == null)
                {
                    return null;
                }
            }

            if (!pointed.IsUnmanagedType || pointed.TypeKind == TypeKind.Error || pointed is ITypeParameterSymbol)
            {
                return null;
            }

            var properties = ImmutableDictionary<string, string?>.Empty
                .Add(FixProperty, FixedFix)
                .Add(ReplacementProperty, call.TargetMethod.Name == "AsPointer" ? "Pointer" : "IntPtr")
                .Add(NeedsUnsafeProperty, needsUnsafe ? "true" : "false");
            if (expressionBody)
            {
                properties = properties.Add(ExpressionBodyProperty, "true");
            }

            return properties;
        }

        /// <summary>What to pin for <c>Unsafe.AsPointer(ref X)</c>: <c>&amp;arr[i]</c>, <c>&amp;obj.field</c>, <c>arr</c> or the span; null when X has another shape.</summary>
        private static (string? Target, ITypeSymbol? Pointed) AsPointerTarget(ManagedMemoryOrigins origins, IOperation? reference)
        {
            switch (reference)
            {
                case IArrayElementReferenceOperation element when element.Indices.All(i => IsSimple(origins, i)) && IsSimple(origins, element.ArrayReference):
                    return ("&" + element.Syntax, element.Type);
                case IFieldReferenceOperation field when field.Instance != null && IsSimple(origins, field.Instance):
                    return ("&" + field.Syntax, field.Type);
                case IInvocationOperation call when call.Arguments.Length == 1 && SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, origins.MemoryMarshal)
                    && (call.TargetMethod.Name == "GetArrayDataReference" || call.TargetMethod.Name == "GetReference")
                    && IsSimple(origins, call.Arguments[0].Value)
                    && (call.TargetMethod.Name == "GetReference" || call.Arguments[0].Value.Type is IArrayTypeSymbol { Rank: 1 }):
                    return (call.Arguments[0].Value.Syntax.ToString(), call.Type);
                default:
                    return (null, null);
            }
        }

        /// <summary>Evaluating it earlier (in the fixed statement's head) cannot change what the statement does.</summary>
        private static bool IsSimple(ManagedMemoryOrigins origins, IOperation? value)
        {
            switch (value)
            {
                case null:
                    return false;
                case ILiteralOperation:
                case ILocalReferenceOperation { Local.IsRef: false }:
                case IParameterReferenceOperation { Parameter.RefKind: RefKind.None }:
                case IInstanceReferenceOperation:
                    return true;
                case IFieldReferenceOperation field:
                    return field.Instance == null || IsSimple(origins, field.Instance);
                case IConversionOperation conversion:
                    return IsSimple(origins, conversion.Operand);
                case IParenthesizedOperation parenthesized:
                    return IsSimple(origins, parenthesized.Operand);
                case IBinaryOperation binary when binary.OperatorMethod == null:
                    return IsSimple(origins, binary.LeftOperand) && IsSimple(origins, binary.RightOperand);
                case IInvocationOperation call when (SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, origins.MemoryExtensions) && call.TargetMethod.Name == "AsSpan")
                    || (call.TargetMethod.Name == "Slice" && origins.IsSpan(call.Instance?.Type)):
                    return (call.Instance == null || IsSimple(origins, call.Instance)) && call.Arguments.All(a => IsSimple(origins, a.Value));
                case IArgumentOperation argument:
                    return IsSimple(origins, argument.Value);
                default:
                    return value.ConstantValue.HasValue;
            }
        }

        /// <summary>The pointer is stored in a variable or returned (then used after the statement: extending the pin is IG2001's business).</summary>
        private static bool StoresPointer(IOperation call)
        {
            var current = call;
            while (current.Parent is IConversionOperation || current.Parent is IParenthesizedOperation)
            {
                current = current.Parent;
            }

            return current.Parent is IVariableInitializerOperation || current.Parent is IReturnOperation || current.Parent is ISimpleAssignmentOperation { Value: var assigned } && assigned == current
                || current.Parent is ICompoundAssignmentOperation || current.Parent is ITupleOperation;
        }

        private static bool IsAsyncOrIterator(SemanticModel model, SyntaxNode function)
        {
            switch (function)
            {
                case AnonymousFunctionExpressionSyntax lambda:
                    return lambda.AsyncKeyword != default;
                case CompilationUnitSyntax unit:
                    return unit.DescendantNodes().Any(n => n is AwaitExpressionSyntax && !n.Ancestors().Any(OperationTree.IsFunctionSyntax));
                default:
                    var symbol = model.GetDeclaredSymbol(function) as IMethodSymbol;
                    return symbol == null || symbol.IsAsync || function.DescendantNodes().Any(n => n is YieldStatementSyntax && n.Ancestors().FirstOrDefault(a => a is AnonymousFunctionExpressionSyntax || a is LocalFunctionStatementSyntax || a is BaseMethodDeclarationSyntax || a is AccessorDeclarationSyntax) == function);
            }
        }
    }
}
