import test from 'ava';
import {
  clusterApiRange,
  compareVersions,
  engineVersion,
  versionedPath,
} from '../../core/cluster/api-version.js';

const engine2010 = { ApiVersion: '1.41', MinAPIVersion: '1.12' };
const engine28 = { ApiVersion: '1.51', MinAPIVersion: '1.24' };
const engine29 = { ApiVersion: '1.52', MinAPIVersion: '1.44' };

test('versions compare numerically, not as text', (t) => {
  t.true(compareVersions('1.9', '1.41') < 0);
  t.is(compareVersions('1.41', '1.41'), 0);
  t.true(compareVersions('2.0', '1.99') > 0);
});

test("a request is sent at the client's version, lowered to the newest the engine speaks", (t) => {
  t.is(versionedPath('/containers/json', '1.41', engine2010), 'v1.41/containers/json');
  t.is(versionedPath('/containers/json', '1.30', engine2010), 'v1.30/containers/json');
  t.is(versionedPath('containers/json', '1.51', engine2010), 'v1.41/containers/json');
  t.is(versionedPath('/containers/json', undefined, engine2010), 'containers/json');
});

test('and raised to the oldest the engine accepts (Docker 29.0 refuses anything below 1.44)', (t) => {
  t.is(engineVersion('1.41', engine29), '1.44');
  t.is(engineVersion('1.47', engine29), '1.47');
  t.is(engineVersion('1.41', engine28), '1.41');
  t.is(versionedPath('containers/create', '1.24', engine29), 'v1.44/containers/create');
});

test('the cluster promises what every engine speaks, no more than Skep does, and reports the oldest all accept', (t) => {
  t.deepEqual(clusterApiRange([engine2010, { ApiVersion: '1.43', MinAPIVersion: '1.24' }]), {
    max: '1.41',
    min: '1.24',
  });
  t.deepEqual(clusterApiRange([engine28, engine28]), { max: '1.51', min: '1.24' });
  t.deepEqual(clusterApiRange([engine2010, engine28]), { max: '1.41', min: '1.24' });
  t.deepEqual(clusterApiRange([engine29]), { max: '1.51', min: '1.44' });
  t.deepEqual(clusterApiRange([]), { max: '1.41', min: '1.24' });
});
