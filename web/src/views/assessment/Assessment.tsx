/**
 * The assessment views under one route: the actors by cumulative score (#/assessment) and an
 * actor's assessment (#/assessment/<ref>).
 */
import { useRoute } from '../../router.js';
import { ActorList } from './ActorList.js';
import { ActorPage } from './ActorPage.js';
import '../views.css';
import '../decisions/decisions.css';
import './assessment.css';

export function Assessment() {
  const route = useRoute();
  const ref = route.segments[1];
  if (ref === undefined) return <ActorList />;
  return <ActorPage key={ref} actor={ref} />;
}
